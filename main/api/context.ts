// What a handler gets besides its input: which transport called, and the app's shared session.
import type { AppSession } from './session.ts';

export type Transport = 'electron' | 'http';

export type ApiContext = {
  transport: Transport;
  session: AppSession;
};
