// Rubric templates for the generative (LLM-judge) reward, in Korean and English. Each asks for a JSON
// object with a score on a fixed scale; the parser also accepts free-text scores when a judge ignores that.

export type Rubric = {
  name: string;
  /** Highest score on the rubric's scale (the lowest is 1). */
  scale: number;
  system: string;
  /** Template with {prompt}, {response} and {reference} (the reference block, empty without one). */
  user: string;
  /** How the reference answer is introduced when there is one. */
  referenceBlock: string;
};

export const RUBRIC_KO: Rubric = {
  name: 'ko-general',
  scale: 10,
  system:
    '당신은 공정하고 엄격한 평가자입니다. 사용자의 질문에 대한 AI 답변의 품질을 평가합니다. ' +
    '정확성, 유용성, 논리성, 완결성, 그리고 답변이 질문과 같은 언어(한국어)로 자연스럽게 쓰였는지를 고려하세요. ' +
    '답변의 길이나 형식에 현혹되지 마세요.',
  user:
    '[질문]\n{prompt}\n\n{reference}[AI 답변]\n{response}\n\n' +
    '위 답변을 1점(매우 나쁨)부터 10점(매우 좋음)까지 평가하세요. 먼저 짧게 근거를 쓰고, 마지막 줄에 다음 JSON 형식으로만 점수를 출력하세요:\n' +
    '{"score": <1-10 사이 숫자>, "reason": "<한 문장 요약>"}',
  referenceBlock: '[참고 답안]\n{reference}\n\n',
};

export const RUBRIC_EN: Rubric = {
  name: 'en-general',
  scale: 10,
  system:
    'You are a fair and strict evaluator. You rate the quality of an AI assistant\'s answer to a user question, ' +
    'considering correctness, helpfulness, reasoning, completeness, and whether it is written in the language of the question. ' +
    'Do not be swayed by length or formatting.',
  user:
    '[Question]\n{prompt}\n\n{reference}[AI answer]\n{response}\n\n' +
    'Rate the answer from 1 (very poor) to 10 (excellent). Give a brief justification first, then on the last line output only this JSON:\n' +
    '{"score": <number from 1 to 10>, "reason": "<one-sentence summary>"}',
  referenceBlock: '[Reference answer]\n{reference}\n\n',
};

export const RUBRICS: Record<'ko' | 'en', Rubric> = { ko: RUBRIC_KO, en: RUBRIC_EN };

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** Fills a rubric. Placeholders are replaced in one pass, so text in the prompt that looks like `{response}` is left alone. */
export function renderRubric(rubric: Rubric, vars: { prompt: string; response: string; reference?: string }): ChatMessage[] {
  const reference = vars.reference ? rubric.referenceBlock.split('{reference}').join(vars.reference) : '';
  const values: Record<string, string> = { prompt: vars.prompt, response: vars.response, reference };
  const user = rubric.user.replace(/\{(prompt|response|reference)\}/g, (_, key: string) => values[key]);
  return [
    { role: 'system', content: rubric.system },
    { role: 'user', content: user },
  ];
}
