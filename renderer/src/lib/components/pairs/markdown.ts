// A small, safe markdown renderer for responses on the labeling page. Everything is HTML-escaped first, so
// no tag in a response can reach the page; only the constructs below become markup, built from escaped
// text: fenced code blocks, inline code, math ($…$, $$…$$, \(…\), \[…\]) typeset as MathML (lib/math/tex.ts),
// headings, bold, italic, bullet and numbered lists, block quotes, horizontal rules, paragraphs and line
// breaks. Links stay text (no navigation away from a labeling session, no remote content).

import { texToMathml } from '../../math/tex.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Math through the one shared renderer (lib/math/tex.ts: TeX → MathML); the TeX stays as the span's title. */
function mathSpan(tex: string, display: boolean): string {
  return `<span class="math${display ? ' display' : ''}" title="${escapeHtml(tex)}">${texToMathml(tex, display)}</span>`;
}

/** Protected spans (code, math) are swapped for placeholders so inline rules never touch their content. */
class Vault {
  readonly items: string[] = [];
  put(html: string): string {
    this.items.push(html);
    return `\u0000${this.items.length - 1}\u0000`;
  }
  restore(text: string): string {
    return text.replace(/\u0000(\d+)\u0000/g, (_, i: string) => this.items[Number(i)]);
  }
}

function inline(text: string, vault: Vault): string {
  let out = text
    .replace(/`([^`\n]+)`/g, (_, code: string) => vault.put(`<code>${escapeHtml(code)}</code>`))
    .replace(/\$\$([^$]+)\$\$/g, (_, math: string) => vault.put(mathSpan(math.trim(), true)))
    .replace(/\\\[([\s\S]+?)\\\]/g, (_, math: string) => vault.put(mathSpan(math.trim(), true)))
    .replace(/\\\(([\s\S]+?)\\\)/g, (_, math: string) => vault.put(mathSpan(math, false)))
    .replace(/\$([^$\n]+)\$/g, (_, math: string) => vault.put(mathSpan(math, false)));
  out = escapeHtml(out)
    .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
    .replace(/__([^_\n]+)__/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, '$1<em>$2</em>');
  return out;
}

export function renderMarkdown(source: string): string {
  const vault = new Vault();
  // Fenced code first: its lines are not markdown.
  const text = source.replace(/\r\n?/g, '\n').replace(/```[^\n]*\n([\s\S]*?)(?:```|$)/g, (_, code: string) => `\n${vault.put(`<pre><code>${escapeHtml(code.replace(/\n$/, ''))}</code></pre>`)}\n`);
  const blocks: string[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flushParagraph = () => {
    if (paragraph.length) blocks.push(`<p>${paragraph.map((l) => inline(l, vault)).join('<br>')}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) blocks.push(`<${list.ordered ? 'ol' : 'ul'}>${list.items.map((i) => `<li>${inline(i, vault)}</li>`).join('')}</${list.ordered ? 'ol' : 'ul'}>`);
    list = null;
  };
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    let match: RegExpExecArray | null;
    if (trimmed === '') {
      flushParagraph();
      flushList();
    } else if (/^\u0000\d+\u0000$/.test(trimmed)) {
      flushParagraph();
      flushList();
      blocks.push(trimmed);
    } else if ((match = /^(#{1,6})\s+(.*)$/.exec(trimmed))) {
      flushParagraph();
      flushList();
      const level = Math.min(6, match[1].length + 2); // h3.. inside a response panel
      blocks.push(`<h${level}>${inline(match[2], vault)}</h${level}>`);
    } else if (/^(-{3,}|\*{3,}|_{3,})$/.test(trimmed)) {
      flushParagraph();
      flushList();
      blocks.push('<hr>');
    } else if ((match = /^[-*+]\s+(.*)$/.exec(trimmed)) || (match = /^\d+[.)]\s+(.*)$/.exec(trimmed))) {
      flushParagraph();
      const ordered = /^\d/.test(trimmed);
      if (list && list.ordered !== ordered) flushList();
      list ??= { ordered, items: [] };
      list.items.push(match[1]);
    } else if ((match = /^>\s?(.*)$/.exec(trimmed))) {
      flushParagraph();
      flushList();
      blocks.push(`<blockquote>${inline(match[1], vault)}</blockquote>`);
    } else {
      flushList();
      paragraph.push(trimmed);
    }
  }
  flushParagraph();
  flushList();
  return vault.restore(blocks.join('\n'));
}

/** Splits `<think>…</think>` off the front of a response (an unclosed think block is all thinking). */
export function splitResponse(text: string): { thinking: string | null; answer: string } {
  const open = text.indexOf('<think>');
  if (open < 0 || text.slice(0, open).trim() !== '') {
    const close = text.indexOf('</think>');
    // Templates that pre-fill <think> leave only the closing tag in the text.
    if (close >= 0 && open < 0) return { thinking: text.slice(0, close).trim(), answer: text.slice(close + 8).trim() };
    return { thinking: null, answer: text };
  }
  const close = text.indexOf('</think>', open);
  if (close < 0) return { thinking: text.slice(open + 7).trim(), answer: '' };
  return { thinking: text.slice(open + 7, close).trim(), answer: text.slice(close + 8).trim() };
}
