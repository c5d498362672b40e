// UTF-8 checks for text that came from a peer and is about to be written
// where only valid UTF-8 may go (a JSON log line, a JSON reply). Follows
// the Unicode Standard's well-formed byte sequences (table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF) and its "maximal subpart"
// practice for replacement, as browsers and Python's 'replace' do.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ckg {

// Whether every byte of `text` belongs to a well-formed UTF-8 sequence.
bool is_valid_utf8(std::string_view text) noexcept;

// Appends `text` with every maximal ill-formed subpart replaced by U+FFFD.
void append_utf8_replacing_invalid(std::string& out, std::string_view text);

// The characters (code points) of valid UTF-8 text: the bytes that do not
// continue a sequence. Limits stated in characters (a state variable's name,
// as the upstream counts it) are checked with it.
std::size_t utf8_characters(std::string_view valid_utf8) noexcept;

// The maximal runs of well-formed characters in `text`, in order (the
// whole text when it is valid UTF-8).
std::vector<std::string_view> valid_utf8_runs(std::string_view text);
// The longest prefix of `text` of at most `max_bytes` that does not end in
// the middle of a well-formed character (ill-formed bytes count one each).
std::string_view utf8_truncate(std::string_view text, std::size_t max_bytes) noexcept;

}  // namespace ckg
