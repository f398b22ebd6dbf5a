import { applyI18n, t } from "./i18n.js";

applyI18n();
const form = document.getElementById("login-form");
const message = document.getElementById("login-message");

function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "";
  // Only paths on this site: never an absolute or protocol-relative URL (open redirect).
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.textContent = "";
  const data = new FormData(form);
  const response = await fetch("/api/auth/login", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: data.get("name"), password: data.get("password") }),
  });
  if (response.ok) {
    location.assign(nextPage());
    return;
  }
  message.textContent =
    response.status === 401 ? t("login.failed")
    : response.status === 429 ? t("login.limited")
    : t("login.error", { status: response.status });
  form.elements.password.select();
});
