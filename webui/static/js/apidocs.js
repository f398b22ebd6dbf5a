// The API page: GET /api/openapi.json rendered as a list of operations (no Swagger: the CSP forbids its
// inline scripts). Every text from the document reaches the page through textContent (el's text).
import { getJson } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { startShell } from "./shell.js";

const METHODS = ["get", "post", "put", "patch", "delete"];

function schemaName(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.type === "array") return `${schemaName(schema.items)}[]`;
  return schema.type || "object";
}

function operation(path, method, op) {
  const params = (op.parameters || []).map((p) =>
    el("li", { text: `${p.name} (${p.in}${p.required ? ", " + t("apidocs.required") : ""}): ${schemaName(p.schema)}` }));
  const body = op.requestBody?.content?.["application/json"]?.schema;
  const responses = Object.entries(op.responses || {}).map(([code, answer]) => {
    const types = Object.entries(answer.content || {}).map(([type, c]) => `${type} ${schemaName(c.schema)}`);
    return el("li", { text: `${code}: ${types.join(", ") || answer.description || ""}` });
  });
  return el("section", { class: "api-op" }, [
    el("h2", {}, [el("code", { class: `method method-${method}`, text: method.toUpperCase() }), " ",
      el("code", { text: path })]),
    el("p", { text: op.summary || "" }),
    params.length ? el("h3", { text: t("apidocs.parameters") }) : false,
    params.length ? el("ul", {}, params) : false,
    body ? el("p", { text: `${t("apidocs.body")}: ${schemaName(body)}` }) : false,
    el("h3", { text: t("apidocs.responses") }),
    el("ul", {}, responses),
  ]);
}

await startShell();
const spec = await getJson("/api/openapi.json");
const sections = [];
for (const [path, item] of Object.entries(spec.paths || {}).sort(([a], [b]) => a.localeCompare(b))) {
  for (const method of METHODS) {
    if (item[method]) sections.push(operation(path, method, item[method]));
  }
}
document.getElementById("api-routes").replaceChildren(...sections);
document.body.dataset.ready = "true";
