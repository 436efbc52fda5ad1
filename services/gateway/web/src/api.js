// The REST API, same origin. Changes carry the session's CSRF token; errors come back as Error objects
// whose message is the server's own ("what and where").
let csrfToken = null;

export function setCsrf(token) {
  csrfToken = token;
}

export async function api(path, { method = "GET", json, form } = {}) {
  const headers = {};
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: { message: text.slice(0, 200) } };
  }
  if (!response.ok) {
    const error = (data && data.error) || (data && data.detail && { message: JSON.stringify(data.detail) }) || {};
    const failure = new Error(error.message || `${response.status} ${response.statusText}`);
    failure.status = response.status;
    failure.where = error.where;
    throw failure;
  }
  return data;
}

export function navigate(path) {
  window.history.pushState({}, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}
