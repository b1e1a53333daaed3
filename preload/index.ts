import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';
import type { EventName, Events } from '../common/contract';
import { type GraftBridge, IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../common/transport';

// The only bridge: exactly the contract, functions only; ipcRenderer itself never leaves here.
const bridge: GraftBridge = {
  call: (name, args) => ipcRenderer.invoke(IPC_CALL_CHANNEL, name, args),
  subscribe(listener) {
    const forward = (_event: IpcRendererEvent, name: EventName, payload: Events[EventName]) => listener(name, payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('graftBridge', bridge);
