"""A loopback DNS server for tests: dnsmasq (Debian dnsmasq-base) serving
the records a test hands it, authoritative for their zones (every other
name in them is NXDOMAIN), on 127.0.0.1 and a free port, never forwarding
anywhere."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def txt_strings(text):
    """A TXT value as dnsmasq character-strings of at most 255 bytes."""
    b = text.encode()
    parts = [b[i:i + 255].decode() for i in range(0, len(b), 255)] or [""]
    return ",".join('"%s"' % p.replace('"', '\\"') for p in parts)


class DNS:
    def __init__(self, zones, txt, a):
        """zones: domains dnsmasq answers for; txt: {name: [text, ...]};
        a: {name: ip}."""
        self.dir = tempfile.mkdtemp(prefix="pc-dns-")
        self.port = free_port()
        conf = os.path.join(self.dir, "dnsmasq.conf")
        with open(conf, "w") as f:
            f.write("no-resolv\nno-hosts\nno-poll\nbind-interfaces\nlisten-address=127.0.0.1\n")
            f.write("port=%d\nlog-facility=%s\n" % (self.port, os.path.join(self.dir, "log")))
            for z in sorted(zones):
                f.write("local=/%s/\n" % z)
            for name, texts in sorted(txt.items()):
                for t in texts:
                    f.write("txt-record=%s,%s\n" % (name, txt_strings(t)))
            for name, ip in sorted(a.items()):
                f.write("host-record=%s,%s\n" % (name, ip))
        self.proc = subprocess.Popen([self.binary(), "-k", "-C", conf, "--pid-file=" + os.path.join(self.dir, "pid"),
                                      "--user=root" if os.getuid() == 0 else "--user=" + str(os.getuid())],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 5
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dnsmasq exited: " + self.proc.stderr.read().decode(errors="replace"))
            if self.answers():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("dnsmasq did not answer on port %d" % self.port)

    @staticmethod
    def binary():
        for p in ("/usr/sbin/dnsmasq", shutil.which("dnsmasq") or ""):
            if p and os.access(p, os.X_OK):
                return p
        return None

    def answers(self):
        # a minimal query for "." NS: any answer means the server is up
        q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        try:
            s.sendto(q, ("127.0.0.1", self.port))
            s.recvfrom(512)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
