// Calls to the Wawai API: same-origin cookies, the CSRF header on state-changing requests, 401 -> sign-in.
export const LOGIN_PAGE = "/static/login.html";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
  }
}

export function csrfToken() {
  const match = document.cookie.split("; ").find((c) => c.startsWith("wawai_csrf="));
  return match ? decodeURIComponent(match.slice("wawai_csrf=".length)) : "";
}

export function toSignIn() {
  const next = location.pathname + location.search;
  location.assign(`${LOGIN_PAGE}?next=${encodeURIComponent(next)}`);
}

export async function request(
  path, { method = "GET", json, body, headers = {}, redirect401 = true, keepalive = false } = {},
) {
  // keepalive: the request outlives the page (a viewer's DELETE sent while the page unloads).
  const init = { method, credentials: "same-origin", headers: { ...headers }, keepalive };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  if (!["GET", "HEAD"].includes(method)) init.headers["X-CSRF-Token"] = csrfToken();
  const response = await fetch(path, init);
  if (response.status === 401 && redirect401) {
    toSignIn();
    throw new ApiError(401, "sign in first");
  }
  if (!response.ok) {
    let detail = "";
    try {
      detail = (await response.json()).detail;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return response;
}

export async function getJson(path) {
  return (await request(path)).json();
}
