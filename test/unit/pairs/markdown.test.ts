import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown, splitResponse } from '../../../renderer/src/lib/components/pairs/markdown.ts';

describe('labeling-page markdown', () => {
  it('escapes every tag and attribute of the source', () => {
    const html = renderMarkdown('<img src=x onerror="alert(1)"> **<script>alert(2)</script>** `<b>` $<i>x</i>$');
    assert.ok(!/<img|<script|<b>|<i>/.test(html), html);
    assert.match(html, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;/);
    assert.match(html, /<strong>&lt;script&gt;alert\(2\)&lt;\/script&gt;<\/strong>/);
    assert.match(html, /<code>&lt;b&gt;<\/code>/);
  });

  it('renders headings, lists, emphasis, code blocks and math', () => {
    const html = renderMarkdown('# 제목\n\n- 하나 *기울임*\n- 둘\n\n1. first\n2. second\n\n```py\nprint("<hi>")\n```\n\n$$\\frac{1}{2} \\cdot x^{10}$$');
    assert.match(html, /<h3>제목<\/h3>/);
    assert.match(html, /<ul><li>하나 <em>기울임<\/em><\/li><li>둘<\/li><\/ul>/);
    assert.match(html, /<ol><li>first<\/li><li>second<\/li><\/ol>/);
    assert.match(html, /<pre><code>print\(&quot;&lt;hi&gt;&quot;\)<\/code><\/pre>/);
    // Math is MathML from the shared renderer (lib/math/tex.ts), the TeX kept as the title.
    assert.match(html, /<span class="math display" title="\\frac\{1\}\{2\} \\cdot x\^\{10\}"><math display="block"[\s\S]*<mfrac><mn>1<\/mn><mn>2<\/mn><\/mfrac>[\s\S]*<msup><mi>x<\/mi><mn[^>]*>10<\/mn><\/msup>/);
  });

  it('splits thinking from the answer', () => {
    assert.deepEqual(splitResponse('<think>\nhmm\n</think>\n\nanswer'), { thinking: 'hmm', answer: 'answer' });
    assert.deepEqual(splitResponse('plain'), { thinking: null, answer: 'plain' });
    assert.deepEqual(splitResponse('pre-filled thinking</think>done'), { thinking: 'pre-filled thinking', answer: 'done' });
    assert.deepEqual(splitResponse('<think>cut off'), { thinking: 'cut off', answer: '' });
  });
});
