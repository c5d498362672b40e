#define BOOST_TEST_MODULE chatkit_gateway_unit
#include <boost/test/unit_test.hpp>
