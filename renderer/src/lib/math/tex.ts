// The one way the UI shows math (#24 point 9): TeX → MathML with Temml, drawn by the browser's MathML
// engine. Used by the labeling page's markdown, the eval drill-down, and anything that shows model text.
//
// Why MathML and not KaTeX's HTML: the app's Content Security Policy (style-src 'self') blocks inline style
// attributes, and KaTeX's layout is made of them. Temml's output is plain MathML; the few style attributes
// it writes (\boxed, matrix cell padding, colours, unknown commands) are turned into classes styled in
// math.css or dropped, so nothing inline reaches the page.
import temml from 'temml';

const BOXED = /\sstyle="padding:3pt;border:1px solid;"/g;
const ERROR = /\sstyle="color:#b22222;"/g;
const ANY_STYLE = /\sstyle="[^"]*"/g;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** One TeX expression as MathML (`display` for block math). Bad TeX shows its source marked as an error. */
export function texToMathml(tex: string, display = false): string {
  let out: string;
  try {
    out = temml.renderToString(tex, { displayMode: display, throwOnError: false, trust: false, annotate: true });
  } catch {
    return `<code class="math-error" title="TeX">${escapeHtml(tex)}</code>`;
  }
  return out.replace(BOXED, ' class="tml-boxed"').replace(ERROR, ' class="tml-error"').replace(ANY_STYLE, '');
}

/**
 * Plain text with TeX inside ($…$, $$…$$, \(…\), \[…\]) as safe HTML: the text escaped, each math span as
 * MathML. For one-line texts (a problem statement, a gold answer); markdown goes through renderMarkdown.
 */
export function textWithMath(text: string): string {
  const pattern = /\$\$([^$]+)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$([^$\n]+)\$/g;
  let out = '';
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    out += escapeHtml(text.slice(last, m.index));
    const display = m[1] !== undefined || m[2] !== undefined;
    out += texToMathml((m[1] ?? m[2] ?? m[3] ?? m[4]).trim(), display);
    last = m.index + m[0].length;
  }
  return out + escapeHtml(text.slice(last));
}

/** A bare answer that is TeX without delimiters ("\frac{1}{2}", "a_{n+1}") shown as math; other text escaped. */
export function answerWithMath(answer: string): string {
  if (/\$|\\\(|\\\[/.test(answer)) return textWithMath(answer);
  return /\\[A-Za-z]|[_^]\{?/.test(answer) ? texToMathml(answer) : escapeHtml(answer);
}
