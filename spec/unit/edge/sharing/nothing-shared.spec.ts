import { NOTHING_SHARED } from '../../../../src/edge/sharing/share-folder';
import { createUnavailableEngine } from '../../../../src/webdav';
import { davRequest } from '../../webdav/support/dav-client';

describe('the 503 while nothing is shared', () => {
  it('says its sentence once, with what to do', async () => {
    const engine = createUnavailableEngine(NOTHING_SHARED);
    try {
      const res = await davRequest(engine, { method: 'GET', path: '/a.txt' });
      expect(res.status).toBe(503);
      expect(res.body.toString()).toBe(
        'No folder is shared right now: on the host, start spice-webdav with --share-dir DIR (or send it a share command).\n',
      );
    } finally {
      await engine.close();
    }
  });
});
