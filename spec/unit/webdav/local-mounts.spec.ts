import { isAllLocal, LocalMountCheck, parseMountInfo } from '../../../src/webdav/local-mounts';

/** A /proc/self/mountinfo line for a mount of `type` on `mountPoint` (escaped as the kernel does). */
const line = (id: number, mountPoint: string, type: string): string =>
  `${id} 1 0:${id} / ${mountPoint} rw,relatime shared:${id} - ${type} /dev/x${id} rw`;

const table = (...mounts: Array<[string, string]>): string =>
  mounts.map(([mountPoint, type], index) => line(index + 20, mountPoint, type)).join('\n');

describe('parseMountInfo', () => {
  it('reads each mount point and file-system type, undoing the octal escapes of spaces and the like', () => {
    const text = [line(1, '/', 'ext4'), line(2, '/home/a\\040b', 'nfs4'), 'garbage', ''].join('\n');

    expect(parseMountInfo(text)).toEqual([
      { mountPoint: '/', type: 'ext4' },
      { mountPoint: '/home/a b', type: 'nfs4' },
    ]);
  });

  it('takes the type after the separator, however many optional fields come before it', () => {
    const text = '36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:2 - xfs /dev/root rw';

    expect(parseMountInfo(text)).toEqual([{ mountPoint: '/mnt/parent', type: 'xfs' }]);
  });
});

describe('isAllLocal', () => {
  const local = (text: string, root: string) => isAllLocal(parseMountInfo(text), root);

  it('is true for a share on a local file system with nothing foreign mounted below it', () => {
    expect(local(table(['/', 'ext4'], ['/proc', 'proc'], ['/mnt/other', 'nfs']), '/home/user/share')).toBe(
      true,
    );
  });

  it('is false for a share on a network or FUSE file system, by the mount that holds it', () => {
    expect(local(table(['/', 'ext4'], ['/home', 'nfs4']), '/home/user/share')).toBe(false);
    expect(local(table(['/', 'ext4'], ['/home/user/share', 'fuse.sshfs']), '/home/user/share')).toBe(false);
  });

  it('is false when a foreign file system is mounted anywhere below the share', () => {
    expect(local(table(['/', 'btrfs'], ['/home/user/share/deep/nfs', 'nfs']), '/home/user/share')).toBe(
      false,
    );
    expect(local(table(['/', 'btrfs'], ['/home/user/share/auto', 'autofs']), '/home/user/share')).toBe(false);
  });

  it('does not take a sibling with the same prefix for a folder below the share', () => {
    expect(local(table(['/', 'ext4'], ['/home/user/share2', 'nfs']), '/home/user/share')).toBe(true);
  });

  it('takes the mount on top where two share a mount point', () => {
    expect(local(table(['/', 'ext4'], ['/data', 'ext4'], ['/data', 'cifs']), '/data/share')).toBe(false);
    expect(local(table(['/', 'ext4'], ['/data', 'cifs'], ['/data', 'xfs']), '/data/share')).toBe(true);
  });

  it('counts everything below a share of / (procfs, sysfs) as not local', () => {
    expect(local(table(['/', 'ext4'], ['/proc', 'proc']), '/')).toBe(false);
  });

  it('is false when the table does not hold the share at all', () => {
    expect(local('', '/home/user/share')).toBe(false);
  });
});

describe('LocalMountCheck', () => {
  it('reads the mount table once per interval, and sees a mount that appeared after it', () => {
    let now = 0;
    let text = table(['/', 'ext4']);
    const reads = jest.fn(() => text);
    const check = new LocalMountCheck('/srv/share', reads, 5000, () => now);

    expect(check.allLocal).toBe(true);
    text = table(['/', 'ext4'], ['/srv/share/remote', 'nfs']);
    now = 4999;
    expect(check.allLocal).toBe(true);
    expect(reads).toHaveBeenCalledTimes(1);
    now = 5000;
    expect(check.allLocal).toBe(false);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('answers not local when there is no mount table to read', () => {
    const check = new LocalMountCheck('/srv/share', () => {
      throw new Error('ENOENT: /proc/self/mountinfo');
    });

    expect(check.allLocal).toBe(false);
  });
});
