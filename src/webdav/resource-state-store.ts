import { v2 as webdav } from 'webdav-server';

type Lock = webdav.Lock;
type PropertyBag = webdav.PropertyBag;

interface PathState {
  properties: PropertyBag;
  locks: Lock[];
}

/**
 * Dead properties and locks, keyed by share path. Unlike the library's PhysicalFileSystem, which keeps an
 * entry for every path ever listed, an entry exists only while a path actually carries a property or a lock,
 * and the number of such paths is capped. Lost on restart, like the library's default.
 */
export class ResourceStateStore {
  private readonly states = new Map<string, PathState>();

  constructor(private readonly maxPaths: number) {}

  get size(): number {
    return this.states.size;
  }

  read(key: string): PathState | undefined {
    const state = this.states.get(key);
    if (state) state.locks = state.locks.filter((lock) => !lock.expired());
    return state;
  }

  /** The state to change, or undefined when the cap is reached. */
  writable(key: string): PathState | undefined {
    const existing = this.states.get(key);
    if (existing) return existing;
    if (this.states.size >= this.maxPaths) return undefined;
    const created: PathState = { properties: {}, locks: [] };
    this.states.set(key, created);
    return created;
  }

  prune(key: string): void {
    const state = this.read(key);
    if (state && state.locks.length === 0 && Object.keys(state.properties).length === 0)
      this.states.delete(key);
  }

  /** Forget a path and everything below it (after DELETE or as the source of MOVE). */
  forgetTree(key: string): void {
    for (const stored of [...this.states.keys()]) if (isSameOrBelow(stored, key)) this.states.delete(stored);
  }

  /** Re-key a path and everything below it (after MOVE). */
  moveTree(from: string, to: string): void {
    this.forgetTree(to);
    for (const [stored, state] of [...this.states.entries()]) {
      if (!isSameOrBelow(stored, from)) continue;
      this.states.delete(stored);
      this.states.set(to + stored.slice(from.length), state);
    }
  }
}

function isSameOrBelow(candidate: string, key: string): boolean {
  return candidate === key || candidate.startsWith(key === '/' ? '/' : key + '/');
}

export class StoredPropertyManager implements webdav.IPropertyManager {
  constructor(
    private readonly store: ResourceStateStore,
    private readonly key: string,
  ) {}

  setProperty(
    name: string,
    value: webdav.ResourcePropertyValue,
    attributes: webdav.PropertyAttributes,
    callback: webdav.SimpleCallback,
  ): void {
    const state = this.store.writable(this.key);
    if (!state) return callback(webdav.Errors.InsufficientStorage);
    state.properties[name] = { value, attributes };
    callback();
  }

  getProperty(
    name: string,
    callback: webdav.Return2Callback<webdav.ResourcePropertyValue, webdav.PropertyAttributes>,
  ) {
    const property = this.store.read(this.key)?.properties[name];
    if (!property) return callback(webdav.Errors.PropertyNotFound);
    callback(undefined, property.value, property.attributes);
  }

  removeProperty(name: string, callback: webdav.SimpleCallback): void {
    const state = this.store.read(this.key);
    if (state) delete state.properties[name];
    this.store.prune(this.key);
    callback();
  }

  getProperties(callback: webdav.ReturnCallback<PropertyBag>): void {
    const properties = this.store.read(this.key)?.properties ?? {};
    callback(undefined, { ...properties });
  }
}

export class StoredLockManager implements webdav.ILockManager {
  constructor(
    private readonly store: ResourceStateStore,
    private readonly key: string,
  ) {}

  getLocks(callback: webdav.ReturnCallback<Lock[]>): void {
    callback(undefined, [...(this.store.read(this.key)?.locks ?? [])]);
  }

  setLock(lock: Lock, callback: webdav.SimpleCallback): void {
    const state = this.store.writable(this.key);
    if (!state) return callback(webdav.Errors.InsufficientStorage);
    state.locks.push(lock);
    callback();
  }

  removeLock(uuid: string, callback: webdav.ReturnCallback<boolean>): void {
    const state = this.store.read(this.key);
    const before = state?.locks.length ?? 0;
    if (state) state.locks = state.locks.filter((lock) => lock.uuid !== uuid);
    const removed = (state?.locks.length ?? 0) < before;
    this.store.prune(this.key);
    callback(undefined, removed);
  }

  getLock(uuid: string, callback: webdav.ReturnCallback<Lock>): void {
    callback(
      undefined,
      this.store.read(this.key)?.locks.find((lock) => lock.uuid === uuid),
    );
  }

  refresh(uuid: string, timeoutSeconds: number, callback: webdav.ReturnCallback<Lock>): void {
    const lock = this.store.read(this.key)?.locks.find((candidate) => candidate.uuid === uuid);
    lock?.refresh(timeoutSeconds);
    callback(undefined, lock);
  }
}
