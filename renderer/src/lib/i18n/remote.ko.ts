// 원격 랩 설정과 실행 파일 목록의 한국어 문자열 (remote.en.ts와 같은 키).
import type { remoteEn } from './remote.en.ts';

export const remoteKo: Record<keyof typeof remoteEn, string> = {
  'remote.title': '원격 랩',
  'remote.intro':
    'GPU 서버의 Saenggak Lab을 여기서 씁니다: 그 서버의 장치, 대기열, 실행, 파일. 서버에서 “saenggak serve --allow-origin {origin}”을 실행하고, 여기서 SSH 터널(ssh -N -L 8700:localhost:8700 gpu-box)을 연 뒤 출력된 토큰으로 http://localhost:8700에 연결하세요.',
  'remote.url': '랩 URL (터널의 로컬 쪽)',
  'remote.token': '접근 토큰',
  'remote.tokenHint': '이 탭에만 보관합니다(세션 저장소). 쿠키에는 넣지 않습니다. 출력된 URL 전체를 붙여 넣으면 둘 다 채워집니다.',
  'remote.connect': '연결',
  'remote.connecting': '연결 중…',
  'remote.connected': '원격 랩 {url}에 연결됨',
  'remote.disconnect': '연결 끊기',
  'remote.badge': '원격 랩 {url}',
  'remote.files': '파일',
  'remote.files.up': '위로',
  'remote.files.download': '내려받기',
  'remote.files.empty': '파일이 없습니다.',
};
