// A failed job's error is its reason, then "Last log lines:" and the log's tail (where the worker's
// `error.stack`, "Error: <message>\n    at …", and the runner's "[saenggak] <reason>" repeat the reason); an
// API error may be a bare stack. The UI shows the message once, as a sentence, and keeps the rest for a
// "details" toggle (issue #24: the same message appeared three times with a stack trace in the middle).

export interface SplitError {
  /** The message without the "Error: " prefix; several lines when the message itself has several. */
  message: string;
  /** The stack frames (and anything else that is not the message), or '' when there are none. */
  details: string;
}

const FRAME = /^\s+at\s/;
const ERROR_PREFIX = /^(?:[A-Z]\w*Error|Error)(?:\s*\[[^\]]*\])?:\s*/;

const LOG_TAIL = '\nLast log lines:\n';

export function splitError(text: string): SplitError {
  const normal = text.replace(/\r\n/g, '\n');
  const tailAt = normal.indexOf(LOG_TAIL);
  if (tailAt >= 0) {
    const head = splitError(normal.slice(0, tailAt));
    return { message: head.message, details: [head.details, normal.slice(tailAt + 1).trim()].filter(Boolean).join('\n') };
  }
  const lines = normal.split('\n');
  const firstFrame = lines.findIndex((l) => FRAME.test(l));
  const head = (firstFrame < 0 ? lines : lines.slice(0, firstFrame)).join('\n').trim();
  const frames = firstFrame < 0 ? '' : lines.slice(firstFrame).join('\n').trim();
  const message = head.replace(ERROR_PREFIX, '').trim();
  return { message: message || text.trim(), details: frames };
}
