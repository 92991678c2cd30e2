import { v2 as webdav } from 'webdav-server';

/**
 * What webdav-server sees of properties and locks: nothing. The engine answers PROPPATCH, LOCK, UNLOCK and
 * PROPFIND itself, checks lock tokens before the library runs, and keeps dead properties in its own store
 * (copied and moved by the engine). An empty manager keeps the library from storing anything of its own
 * (its default keeps every path ever touched) and from refusing requests on locks it cannot judge.
 */
export class InertPropertyManager implements webdav.IPropertyManager {
  setProperty(
    _name: string,
    _value: webdav.ResourcePropertyValue,
    _attributes: webdav.PropertyAttributes,
    callback: webdav.SimpleCallback,
  ): void {
    callback();
  }

  getProperty(
    _name: string,
    callback: webdav.Return2Callback<webdav.ResourcePropertyValue, webdav.PropertyAttributes>,
  ): void {
    callback(webdav.Errors.PropertyNotFound);
  }

  removeProperty(_name: string, callback: webdav.SimpleCallback): void {
    callback();
  }

  getProperties(callback: webdav.ReturnCallback<webdav.PropertyBag>): void {
    callback(undefined, {});
  }
}

export class InertLockManager implements webdav.ILockManager {
  getLocks(callback: webdav.ReturnCallback<webdav.Lock[]>): void {
    callback(undefined, []);
  }

  setLock(_lock: webdav.Lock, callback: webdav.SimpleCallback): void {
    callback(webdav.Errors.Forbidden);
  }

  removeLock(_uuid: string, callback: webdav.ReturnCallback<boolean>): void {
    callback(undefined, false);
  }

  getLock(_uuid: string, callback: webdav.ReturnCallback<webdav.Lock>): void {
    callback(webdav.Errors.ResourceNotFound);
  }

  refresh(_uuid: string, _timeoutSeconds: number, callback: webdav.ReturnCallback<webdav.Lock>): void {
    callback(webdav.Errors.ResourceNotFound);
  }
}
