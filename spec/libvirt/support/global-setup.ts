import { startDaemons } from './libvirt-daemons';

export default function globalSetup(): void {
  startDaemons();
}
