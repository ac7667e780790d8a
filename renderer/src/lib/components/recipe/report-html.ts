// The pipeline's report.html, shown inside the app. The file is self-contained for a browser (its own
// <style>, white page); in the app the page's Content Security Policy (style-src 'self') blocks inline
// styles, and a sandboxed frame inherits that policy. So the Recipe page takes the body of the report —
// written by main/pipeline/report.ts with every text escaped, like the chart SVG it already shows — drops
// <style>, <script> and style/on* attributes, and styles it with the app's theme instead.

export function reportBody(html: string): string {
  // Inline styles are cut from the text before parsing: even parsing them into a detached document makes
  // Chromium report a CSP violation.
  const text = html.replace(/<style\b[^>]*>[\s\S]*?<\/style>/gi, '').replace(/\sstyle\s*=\s*("[^"]*"|'[^']*')/gi, '');
  const doc = new DOMParser().parseFromString(text, 'text/html');
  for (const el of Array.from(doc.querySelectorAll('style, script, link, meta, iframe, object, embed'))) el.remove();
  for (const el of Array.from(doc.body.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) if (attr.name === 'style' || attr.name.startsWith('on')) el.removeAttribute(attr.name);
  }
  return doc.body.innerHTML;
}
