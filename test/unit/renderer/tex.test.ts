// The shared math renderer (renderer/src/lib/math/tex.ts): TeX becomes MathML that keeps the structure the
// two old text converters lost (#24 point 9: a_{n+1} became a_n+1; \binom, \lfloor, \mathbb and matrices
// were garbled), with no inline style attribute (the app's CSP blocks them) and no markup from the text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerWithMath, texToMathml, textWithMath } from '../../../renderer/src/lib/math/tex.ts';

/** The MathML without the TeX annotation, whitespace-free, for structural matching. */
const body = (html: string) => html.replace(/<annotation[\s\S]*?<\/annotation>/g, '').replace(/\s+/g, ' ');

test('subscripts, binomials, floors, blackboard letters and matrices keep their structure', () => {
  assert.match(body(texToMathml('a_{n+1}')), /<msub><mi>a<\/mi><mrow><mi>n<\/mi><mo>\+<\/mo><mn>1<\/mn><\/mrow><\/msub>/);
  assert.match(body(texToMathml('\\binom{n}{k}')), /<mo fence="true">\(<\/mo><mfrac linethickness="0px"><mi>n<\/mi><mi>k<\/mi><\/mfrac><mo fence="true">\)<\/mo>/);
  assert.match(body(texToMathml('\\lfloor x \\rfloor')), /⌊<\/mo><mi>x<\/mi><mo[^>]*>⌋/);
  assert.match(body(texToMathml('\\mathbb{R}')), /<mi>ℝ<\/mi>/);
  const matrix = body(texToMathml('\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}'));
  assert.equal(matrix.match(/<mtr>/g)?.length, 2);
  assert.equal(matrix.match(/<mtd[^>]*>/g)?.length, 4);
  assert.match(body(texToMathml('\\frac{1}{2}', true)), /^<math display="block"/);
});

test('no inline styles: boxed and errors become classes, colours are dropped', () => {
  for (const tex of ['\\boxed{5}', '\\badcommand{x}', '\\color{red}{x}', '\\begin{bmatrix}1&0\\\\0&1\\end{bmatrix}']) assert.doesNotMatch(texToMathml(tex), /\sstyle=/, tex);
  assert.match(texToMathml('\\boxed{5}'), /class="tml-boxed"/);
  assert.match(texToMathml('\\badcommand{x}'), /class="tml-error"/);
});

test('text with math: text escaped, each delimiter kind typeset', () => {
  const html = textWithMath('<b>x</b> $a_{n+1}$ and \\(\\sqrt{2}\\) and $$\\frac{1}{2}$$ and \\[x^2\\] 끝');
  assert.match(html, /^&lt;b&gt;x&lt;\/b&gt; <math>/);
  assert.equal(html.match(/<math/g)?.length, 4);
  assert.equal(html.match(/<math display="block"/g)?.length, 2);
  assert.match(html, /<msqrt><mn>2<\/mn><\/msqrt>/);
  assert.match(html, / 끝$/);
  assert.equal(textWithMath('no math <here>'), 'no math &lt;here&gt;');
});

test('answers: bare TeX is math, plain answers are text', () => {
  assert.match(answerWithMath('\\frac{1}{2}'), /<mfrac>/);
  assert.match(answerWithMath('a_{n+1}'), /<msub>/);
  assert.equal(answerWithMath('42'), '42');
  assert.equal(answerWithMath('<42>'), '&lt;42&gt;');
});
