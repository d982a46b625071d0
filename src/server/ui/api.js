// Calling the API: JSON in and out, the CSRF token on every state-changing request, and
// errors as the API words them (`{"error": {"kind", "message"}}`).

let csrfToken = null;

export function setCsrf(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(status, kind, message, refusal) {
    super(message);
    this.status = status;
    this.kind = kind;
    this.refusal = refusal || null;
  }
}

/** Calls `path`; `json` or `form` is the body. Resolves to the JSON answer. */
export async function api(path, { method = 'GET', json, form } = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'io', `the server cannot be reached (${e.message})`);
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || { kind: 'internal', message: `HTTP ${response.status}` };
    throw new ApiError(response.status, error.kind, error.message, error.refusal);
  }
  return data;
}

/** `/api/datasets/NAME/...` with every part encoded. */
export function path(...parts) {
  return '/api/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
}
