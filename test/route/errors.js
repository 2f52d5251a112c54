// The HTTP status of a failed tako_discover, from the SQLSTATE node-postgres puts in err.code.
// Only a failure of the upstream with nothing cached to serve is a 502: anything else (the
// database unreachable, a missing function, a bug) is the API's own fault, a 500.

const STATUS = new Map([
  ['22023', 400], // a bad key part (the message names it)
  ['22004', 400], // a NULL where a value is required
  ['55000', 503], // the provider's API key is not configured
  ['57014', 504], // the upstream timed out, or the statement was cancelled
  ['TK429', 429], // the provider's request budget is spent
  ['28000', 502], // the upstream refused our credentials
  ['54000', 502], // the upstream's answer was over max_response_bytes
  ['22P02', 502], // the upstream's answer was not its list
]);

export function statusOf(code) {
  if (STATUS.has(code)) return STATUS.get(code);
  // Class 08: the upstream answered with an error, or could not be reached.
  if (typeof code === 'string' && code.startsWith('08')) return 502;
  return 500;
}

export function sendError(res, err) {
  const status = statusOf(err.code);
  if (status === 500) console.error(err);
  res.status(status).json({ success: false, error: err.message, code: err.code ?? null });
}
