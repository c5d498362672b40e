// The official ChatKit OpenAPI description (../shared/upstream/chatkit-openapi.yaml)
// as ajv validators: one per operation's 200 reply, the error envelope, and
// any component schema by name. OpenAPI 3.1 schemas are JSON Schema 2020-12,
// so the document is added to ajv whole and its "#/components/schemas/..."
// references resolve inside it. Two readings are made explicit here:
//   - closed objects: an object schema with `properties` and no
//     `additionalProperties` gets `additionalProperties: false`, so a reply
//     with a member the upstream does not document (or a misspelled one)
//     fails, and so does a request key the upstream would refuse;
//   - a `oneOf` of plain primitive types (state variable values: string,
//     integer, boolean, number) is read as `anyOf`, since an integer is also
//     a number and strict `oneOf` would refuse every integer.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import fs from "node:fs";
import YAML from "yaml";

const methods = ["get", "post", "put", "patch", "delete"];

function tighten(node) {
  if (Array.isArray(node)) { node.forEach(tighten); return; }
  if (node === null || typeof node !== "object") return;
  if (node.properties && node.additionalProperties === undefined) node.additionalProperties = false;
  if (Array.isArray(node.oneOf) && node.oneOf.every((s) => s.type && !s.$ref && s.type !== "object")) {
    node.anyOf = node.oneOf;
    delete node.oneOf;
  }
  Object.values(node).forEach(tighten);
}

export function loadUpstreamSchema(file) {
  const doc = YAML.parse(fs.readFileSync(file, "utf8"));
  tighten(doc.components);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const integer = { type: "number", validate: (n) => Number.isInteger(n) };
  ajv.addFormat("unixtime", integer);
  ajv.addFormat("int64", integer);
  ajv.addSchema({ $id: "upstream", components: doc.components });

  const operations = {};
  for (const [path, item] of Object.entries(doc.paths))
    for (const method of methods) {
      const op = item[method];
      if (!op) continue;
      const ref = op.responses["200"].content["application/json"].schema.$ref;
      operations[op.operationId] = { method: method.toUpperCase(), path, reply: ref.replace(/^#/, "upstream#") };
    }
  const component = (name) => ajv.getSchema(`upstream#/components/schemas/${name}`);
  // Returns null when `body` is valid, else ajv's errors as one line.
  const explain = (validate, body) => (validate(body) ? null : ajv.errorsText(validate.errors));
  return {
    operations,
    component,
    checkReply: (operationId, body) => explain(ajv.getSchema(operations[operationId].reply), body),
    checkError: (body) => explain(component("ErrorResponse"), body),
    checkComponent: (name, body) => explain(component(name), body),
  };
}
