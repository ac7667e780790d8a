// Devices 페이지 보상 서버 영역의 한국어 문자열 (devices.en.ts와 같은 키).
import type { devicesEn } from './devices.en.ts';

export const devicesKo: Record<keyof typeof devicesEn, string> = {
  'devices.rewardServer.title': '보상 서버',
  'devices.rewardServer.intro':
    '이 앱의 규칙 기반 보상(정답, 형식, 언어 일관성)을 HTTP로 제공합니다. 클러스터의 트레이너(saenggak_reward.py를 쓰는 verl)가 똑같은 코드로 점수를 매길 수 있습니다.',
  'devices.rewardServer.switch': 'HTTP로 보상 제공',
  'devices.rewardServer.on': '켜짐',
  'devices.rewardServer.off': '꺼짐',
  'devices.rewardServer.host': '호스트',
  'devices.rewardServer.port': '포트',
  'devices.rewardServer.portHint': '0이면 빈 포트를 자동으로 고릅니다',
  'devices.rewardServer.config': '보상 설정 (YAML)',
  'devices.rewardServer.configHint': '절대 경로 또는 워크스페이스 기준 상대 경로. 비워 두면 정답 1, 형식 0.2, 언어 0.2를 씁니다.',
  'devices.rewardServer.exposeWarning':
    '{host}에서 수신하면 네트워크에서 보상 서버에 접근할 수 있습니다. 이 포트에 닿을 수 있고 토큰을 아는 사람은 누구나 이 컴퓨터로 채점을 돌릴 수 있습니다. 가능하면 127.0.0.1과 SSH 터널을 쓰세요.',
  'devices.rewardServer.exposeConfirm': '위험을 이해했으며 {host}에서 수신합니다',
  'devices.rewardServer.address': '주소',
  'devices.rewardServer.token': '토큰',
  'devices.rewardServer.tokenHint': '시작할 때마다 새로 만들어집니다. 이 컴퓨터에서 채점할 권한이니 외부에 알리지 마세요.',
  'devices.rewardServer.env': 'saenggak_reward.py 환경 변수',
  'devices.rewardServer.anyAddress': '모든 인터페이스에서 수신 중입니다. 클러스터에는 {host} 대신 이 컴퓨터의 주소를 알려 주세요.',
  'devices.rewardServer.config.default': '기본 설정',
  'devices.rewardServer.components': '보상 구성',
  'devices.rewardServer.workers': '채점 스레드',
  'devices.rewardServer.since': '{time}부터 실행 중',
  'devices.rewardServer.requestRate': '초당 요청',
  'devices.rewardServer.itemRate': '초당 채점',
  'devices.rewardServer.latency': '배치 지연 p50 / p99',
  'devices.rewardServer.inFlight': '처리 중',
  'devices.rewardServer.totalRequests': '요청',
  'devices.rewardServer.totalItems': '채점',
  'devices.rewardServer.totalTimeouts': '시간 초과',
  'devices.rewardServer.totalRejected': '거부',
  'devices.rewardServer.window': '최근 {seconds}초 기준',
  'devices.rewardServer.error.portInUse': '{port}번 포트는 이미 사용 중입니다(다른 보상 서버나 프로그램). 다른 포트를 고르거나 0을 입력해 빈 포트를 쓰세요.',
  'devices.rewardServer.stopped': '보상 서버가 꺼져 있습니다.',
};
