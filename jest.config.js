// Three layers of specs, each its own jest project (docs/testing.md):
//   unit  - pure codecs, marble specs of the streams, the WebDAV engine over in-memory duplexes
//   qemu  - the SPICE connection layer against QEMU's real SPICE server, no guest OS
//   e2e   - the whole path through a real tiny guest running spice-webdavd
//   libvirt - -c URI DOMAIN against a real libvirtd (started by its globalSetup when not running)
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  // A hang guard, not a speed assertion: on two cores shared by the workers, real-file-system specs such as
  // the namespace race (hundreds of requests) overran jest's 5 s default. It must sit here: jest reads
  // testTimeout from the global config only and ignores it inside a project (the QEMU specs set their own).
  testTimeout: 30_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/spec/unit/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'qemu',
      testMatch: ['<rootDir>/spec/qemu/**/*.spec.ts'],
      slowTestThreshold: 30,
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/spec/e2e/**/*.spec.ts'], slowTestThreshold: 120 },
    {
      ...common,
      displayName: 'libvirt',
      testMatch: ['<rootDir>/spec/libvirt/**/*.spec.ts'],
      globalSetup: '<rootDir>/spec/libvirt/support/global-setup.ts',
      globalTeardown: '<rootDir>/spec/libvirt/support/global-teardown.ts',
      slowTestThreshold: 120,
    },
  ],
};
