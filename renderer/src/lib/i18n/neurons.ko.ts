// Korean strings of the Neurons page (the English twin is neurons.en.ts).
import type { neuronsEn } from './neurons.en.ts';

export const neuronsKo: Record<keyof typeof neuronsEn, string> = {
  'neurons.title': '언어 뉴런',
  'neurons.intro': '한 언어에만 반응하는 MLP 뉴런(saenggak neurons find): 어디에 있는지, 층마다 몇 개인지, 두 선택이 얼마나 겹치는지 보고 그 뉴런만 학습합니다.',
  'neurons.empty': '아직 선택이 없습니다. `saenggak neurons find --model DIR --lang ko=ko.txt --lang en=en.txt --out <작업공간>/neurons/ko.json` 또는 korean-alignment 레시피를 실행하세요.',
  'neurons.files': '선택 파일',
  'neurons.heat': '층 × 뉴런 구간별 점수',
  'neurons.heatHint': '각 칸은 이웃한 뉴런 {size}개 중 가장 높은 점수입니다. 진할수록 {target}에 특화되어 있습니다.',
  'neurons.layer': '{layer}층',
  'neurons.chosen': '선택된 뉴런',
  'neurons.share': '층별 선택 비율',
  'neurons.shareValue': '{total}개 중 {count}개 ({percent})',
  'neurons.compare': '비교 대상',
  'neurons.compareNone': '없음',
  'neurons.overlap': '공통 뉴런 {shared}개, 자카드 {jaccard}',
  'neurons.overlapLayer': '{layer}층: 공통 {shared}개, 자카드 {jaccard}',
  'neurons.tune': '이 뉴런만 학습',
  'neurons.tuneHint': '이 뉴런만 학습하는 새 SFT 실행(선택적 튜닝)을 엽니다.',
  'neurons.meta': '{method} · 대상 {target} · 뉴런 {count}개 · {model}',
  'neurons.noHeat': '이 선택에는 점수 지도가 없습니다(무작위 선택).',
};
