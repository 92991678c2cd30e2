#!/usr/bin/python3
"""The reference client for the benchmarks: spice-gtk (SpiceClientGLib) with its phodav-based folder sharing,
headless. Connects to a SPICE server, shares a folder over the webdav channel, runs until SIGTERM/SIGINT.

Needs Debian's gir1.2-spiceclientglib-2.0 and python3-gi, run with /usr/bin/python3 (the Debian interpreter
the bindings are built for). Usage: reference-client.py HOST PORT SHARE_DIR [--read-only]
"""

import signal
import sys

import gi

gi.require_version("SpiceClientGLib", "2.0")
from gi.repository import GLib, GObject, SpiceClientGLib as Spice  # noqa: E402


def main(argv):
    if len(argv) < 4:
        sys.stderr.write("usage: reference-client.py HOST PORT SHARE_DIR [--read-only]\n")
        return 2
    host, port, share_dir = argv[1], argv[2], argv[3]
    read_only = "--read-only" in argv[4:]

    loop = GLib.MainLoop()
    session = Spice.Session()
    session.set_property("host", host)
    session.set_property("port", port)
    session.set_property("shared-dir", share_dir)
    session.set_property("share-dir-ro", read_only)

    def on_channel_new(_session, channel):
        # Only the webdav channel matters here; the main channel is connected by the session itself.
        if isinstance(channel, Spice.WebdavChannel):
            # Spice.Channel.connect hides GObject's signal connect: call the channel's own connect().
            Spice.Channel.connect(channel)
            sys.stdout.write("webdav-channel\n")
            sys.stdout.flush()

    def on_disconnected(_session):
        sys.stdout.write("disconnected\n")
        sys.stdout.flush()
        loop.quit()

    GObject.Object.connect(session, "channel-new", on_channel_new)
    GObject.Object.connect(session, "disconnected", on_disconnected)

    def stop(*_args):
        session.disconnect()
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, stop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, stop)

    if not Spice.Session.connect(session):
        sys.stderr.write("reference-client: could not start connecting to %s:%s\n" % (host, port))
        return 1
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
