// The HTTP API client: JSON in, JSON out, and every refusal as an ApiError carrying the RFC 9457
// problem document's stable `code` (translated by i18n.problemText).

/** A refused or failed request. `code` is the problem's code ('network_error' offline). */
export class ApiError extends Error {
  constructor(status, problem) {
    const doc = problem && typeof problem === 'object' ? problem : {};
    super(doc.detail || doc.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = doc.code || (status ? `http_${status}` : 'network_error');
    this.detail = doc.detail || '';
    this.problem = doc;
  }
}

/** A path with each interpolated value percent-encoded: path`/api/v1/sessions/${id}`. */
export function path(strings, ...values) {
  return strings.reduce((out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i]) : ''), '');
}

/**
 * Call the API. `token` is sent as a bearer token; `body` as JSON. Returns the parsed JSON (or
 * text for non-JSON replies); throws ApiError for a problem document or a network failure.
 */
export async function api(url, { method = 'GET', body, token, signal } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, signal, cache: 'no-store', credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, { code: 'network_error', detail: String((e && e.message) || e) });
  }
  const type = (response.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  let data = null;
  // application/json and application/problem+json; not application/jsonl (the event log).
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  } else {
    data = await response.text();
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** The list of sessions (public). */
export async function listSessions() {
  return (await api('/api/v1/sessions')).sessions;
}
