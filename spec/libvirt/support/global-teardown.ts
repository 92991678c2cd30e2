import { stopDaemons } from './libvirt-daemons';

export default function globalTeardown(): void {
  stopDaemons();
}
