const STORAGE_KEY = 'graft-host-token';

/**
 * The host token from `#token=<tok>`, kept in sessionStorage so a reload without the hash
 * still works, and removed from the address bar so it is not shared by copy-paste.
 */
export function takeHostToken(
  location: Pick<Location, 'hash' | 'pathname' | 'search'>,
  storage: Pick<Storage, 'getItem' | 'setItem'>,
  history: Pick<History, 'replaceState' | 'state'>,
): string | null {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (fromHash) {
    storage.setItem(STORAGE_KEY, fromHash);
    history.replaceState(history.state, '', location.pathname + location.search);
    return fromHash;
  }
  return storage.getItem(STORAGE_KEY);
}
