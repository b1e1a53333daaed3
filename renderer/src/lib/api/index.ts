import type { GraftApi } from '../../../../common/contract';
import type { GraftBridge } from '../../../../common/transport';
import { createBridgeApi } from './bridge-api';
import { createHostApi } from './host-api';
import { takeHostToken } from './host-token';

declare global {
  interface Window {
    graftBridge?: GraftBridge;
  }
}

/** The contract over whichever transport this page runs on: Electron's bridge, else the host. */
export function createApi(): GraftApi {
  if (window.graftBridge) return createBridgeApi(window.graftBridge);
  return createHostApi({ token: takeHostToken(window.location, window.sessionStorage, window.history) });
}
