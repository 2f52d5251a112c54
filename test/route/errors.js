// Tako's error body, {error, message, code}, for a failed read. The HTTP status and the code come
// from the SQLSTATE node-postgres puts in err.code. Only a failure of the upstream with nothing
// cached to serve is a 502: anything else (the database unreachable, a missing function, a bug) is
// the API's own fault, a 500, whose message says nothing of the cause (it goes to the log).
import { STATUS_CODES } from 'node:http';

// SQLSTATE → [HTTP status, code]. The extension's messages for these name a bad key part, a
// provider or an upstream status: meant for the API's clients (docs/tako-integration.md).
const KNOWN = new Map([
  ['22023', [400, 'INVALID_PARAMETER']], // a bad key part (the message names it)
  ['22004', [400, 'INVALID_PARAMETER']], // a NULL where a value is required
  ['55000', [503, 'PROVIDER_NOT_CONFIGURED']], // the provider's API key is not set
  ['57014', [504, 'UPSTREAM_TIMEOUT']], // the upstream timed out, or the statement was cancelled
  ['TK429', [429, 'RATE_LIMITED']], // the provider's request budget is spent
  ['28000', [502, 'UPSTREAM_ERROR']], // the upstream refused our credentials
  ['54000', [502, 'UPSTREAM_ERROR']], // the upstream's answer was over max_response_bytes
  ['22P02', [502, 'UPSTREAM_ERROR']], // the upstream's answer was not its list
]);

export function errorOf(sqlstate) {
  if (KNOWN.has(sqlstate)) return KNOWN.get(sqlstate);
  // Class 08: the upstream answered with an error, or could not be reached.
  if (typeof sqlstate === 'string' && sqlstate.startsWith('08')) return [502, 'UPSTREAM_ERROR'];
  return [500, 'INTERNAL_ERROR'];
}

export function statusOf(sqlstate) {
  return errorOf(sqlstate)[0];
}

// An error answer: never kept by a cache on the way.
export function sendTakoError(res, status, code, message) {
  res.set('Cache-Control', 'no-store');
  res.status(status).json({ error: STATUS_CODES[status], message, code });
}

export function sendError(res, err) {
  const [status, code] = errorOf(err.code);
  if (status === 500) {
    console.error(err);
    return sendTakoError(res, 500, code, 'Internal server error');
  }
  sendTakoError(res, status, code, err.message);
}
