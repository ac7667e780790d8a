// Devices 페이지 GPU 지원 영역의 한국어 문자열 (gpuSetup.en.ts와 같은 키).
import type { gpuSetupEn } from './gpuSetup.en.ts';

export const gpuSetupKo: Record<keyof typeof gpuSetupEn, string> = {
  'devices.gpuSetup.intro':
    'GPU 학습은 ONNX Runtime의 CUDA 공급자를 씁니다. 그 라이브러리(수백 MB, onnxruntime-node 설치 프로그램이 받는 것과 같은 파일)를 이 앱의 사용자 데이터 폴더에 내려받아 SHA-256으로 확인하고, 다음 작업부터 사용합니다.',
  'devices.gpuSetup.notAvailable': '이 컴퓨터용 CUDA 다운로드가 없습니다: {reason}',
  'devices.gpuSetup.installed': '설치 위치: {dir}',
  'devices.gpuSetup.notInstalled': '설치되지 않음: {why}.',
  'devices.gpuSetup.install': 'GPU 지원 설치',
  'devices.gpuSetup.reinstall': '다시 설치',
  'devices.gpuSetup.recheck': '다시 확인',
  'devices.gpuSetup.checking': '확인 중…',
  'devices.gpuSetup.unrecorded':
    '이 앱 버전에는 {file}의 SHA-256이 기록되어 있지 않아 내려받은 파일을 기록과 대조할 수 없습니다. HTTPS로 받은 nuget.org의 파일을 믿는 경우에만 설치하세요. 측정한 다이제스트는 설치 후에 표시됩니다.',
  'devices.gpuSetup.allowUnrecorded': '기록된 다이제스트 없이 설치',
  'devices.gpuSetup.downloading': '{file} 내려받는 중: {received} / {total}',
  'devices.gpuSetup.downloadingUnknown': '{file} 내려받는 중: {received}',
  'devices.gpuSetup.resumed': '{bytes}부터 이어받음',
  'devices.gpuSetup.extracting': '{file} 압축 푸는 중',
  'devices.gpuSetup.verifying': '설치된 런타임 확인 중(CUDA 시험 세션)…',
  'devices.gpuSetup.done': '설치했습니다.',
  'devices.gpuSetup.failed': '설치 실패: {error}',
  'devices.gpuSetup.digestRecorded': '기록된 다이제스트와 일치',
  'devices.gpuSetup.digestNotRecorded': '이 앱에 기록되지 않음',
  'devices.gpuSetup.lastCheck': '마지막 확인: {detail}',
  'devices.gpuSetup.cudaUsable': 'CUDA가 작동합니다: 시험 세션을 만들어 실행했습니다.',
  'devices.gpuSetup.cudaNotUsable': '아직 CUDA를 쓸 수 없습니다.',
  'devices.gpuSetup.rolledBack': '설치된 런타임이 확인에 실패해 앱이 다시 내장 런타임을 씁니다: {reason}',
  'devices.gpuSetup.prerequisites': '사전 요구 사항',
  'devices.gpuSetup.requirement': '항목',
  'devices.gpuSetup.needed': '필요',
  'devices.gpuSetup.for': '용도',
  'devices.gpuSetup.where': '찾은 위치',
  'devices.gpuSetup.missing': '없음',
  'devices.gpuSetup.installLine': '설치 방법',
  'devices.gpuSetup.offline': '오프라인 컴퓨터',
  'devices.gpuSetup.offlineSteps':
    '인터넷이 되는 컴퓨터에서 아래 파일을 내려받으세요. 이 컴퓨터의 아래 폴더에 그대로 복사한 뒤 “GPU 지원 설치”를 누르세요. 파일이 있으면 아무것도 내려받지 않고, 같은 방식으로 확인합니다.',
  'devices.gpuSetup.offlineFile': '파일',
  'devices.gpuSetup.offlineFolder': '폴더',
  'devices.gpuSetup.terminal': '터미널에서',
} as const;
