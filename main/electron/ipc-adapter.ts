import { type IpcMainInvokeEvent, ipcMain, type WebContents } from 'electron';
import { CALL_NAMES } from '../../common/contract';
import { type Envelope, toErrorPayload } from '../../common/errors';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../common/transport';
import type { EventBus } from '../services/event-bus';
import { dispatch, type Handlers } from '../services/handlers';
import { isTrustedUrl } from './window-options';

/** Calls from anything but our own page's main frame are refused. */
function validSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isTrustedUrl(frame.url);
}

/** One ipcMain.handle for every contract call, answering with the same envelope as the host. */
export function registerIpc(handlers: Handlers, events: EventBus, target: () => WebContents | null): () => void {
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, name: unknown, args: unknown): Promise<Envelope<unknown>> => {
    if (!validSender(event)) {
      return { ok: false, error: { code: 'UNAUTHORISED', message: 'This frame may not call Graft.' } };
    }
    try {
      if (typeof name !== 'string' || !(CALL_NAMES as readonly string[]).includes(name)) {
        return { ok: false, error: { code: 'UNKNOWN_CALL', message: `There is no call named “${String(name)}”.` } };
      }
      return { ok: true, value: (await dispatch(handlers, name, args)) ?? null };
    } catch (err) {
      return { ok: false, error: toErrorPayload(err) };
    }
  });
  const unsubscribe = events.subscribe((event, payload) => {
    const contents = target();
    if (contents && !contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, event, payload);
  });
  return () => {
    ipcMain.removeHandler(IPC_CALL_CHANNEL);
    unsubscribe();
  };
}
