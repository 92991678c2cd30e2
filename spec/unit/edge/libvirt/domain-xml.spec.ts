import { parseDomainXml } from '../../../../src/edge/libvirt/domain-xml';
import { domainXml } from './support/fake-virsh';

describe('parseDomainXml', () => {
  it('reads the SPICE display, the password and the webdav channel of a running domain', () => {
    const domain = parseDomainXml(domainXml({ id: 3, port: 5901, tlsPort: 5902, password: 's3cret' }));
    expect(domain).toEqual({
      name: 'vm1',
      uuid: '7e6956a8-0499-41d6-a8d7-59b1aa0e88a1',
      id: 3,
      spice: {
        port: 5901,
        tlsPort: 5902,
        listens: [{ type: 'address', address: '127.0.0.1' }],
        listenAttribute: '127.0.0.1',
        password: 's3cret',
      },
      hasWebdavChannel: true,
    });
  });

  it('has no id and no port for a domain that does not run', () => {
    const domain = parseDomainXml(domainXml({}));
    expect(domain.id).toBeUndefined();
    expect(domain.spice?.port).toBeUndefined();
  });

  it('tells a domain without SPICE graphics and without the webdav channel', () => {
    const domain = parseDomainXml(domainXml({ id: 1, graphics: false, webdav: false }));
    expect(domain.spice).toBeUndefined();
    expect(domain.hasWebdavChannel).toBe(false);
  });

  it('does not take another channel for the webdav one', () => {
    const xml = `<domain><name>a</name><devices><channel type='spicevmc'>
      <target type='virtio' name='org.spice-space.webdav.0'/></channel></devices></domain>`;
    expect(parseDomainXml(xml).hasWebdavChannel).toBe(false);
  });

  it('reads a unix socket listen', () => {
    const xml = `<domain id='2'><name>a</name><devices><graphics type='spice'>
      <listen type='socket' socket='/run/libvirt/qemu/a.sock'/></graphics></devices></domain>`;
    expect(parseDomainXml(xml).spice?.listens).toEqual([
      { type: 'socket', socket: '/run/libvirt/qemu/a.sock' },
    ]);
  });

  it('rejects text that is not a domain XML', () => {
    expect(() => parseDomainXml('<network><name>x</name></network>')).toThrow(/not a <domain>/);
    expect(() => parseDomainXml('<domain><name>x</domain>')).toThrow();
    expect(() => parseDomainXml('')).toThrow();
  });
});
