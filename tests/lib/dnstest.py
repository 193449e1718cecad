"""DNS for tests (tests/auth, tests/impersonation): a loopback dnsmasq
(Debian dnsmasq-base) serving the records a test hands it, authoritative
for their zones (every other name in them is NXDOMAIN), on 127.0.0.1 and a
free port, forwarding nowhere but to the test's own fake servers; DKIM keys
from opendkim-genkey; a fake upstream that drops queries or answers
SERVFAIL."""
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

GENKEY = shutil.which("opendkim-genkey") or (
    "/usr/sbin/opendkim-genkey" if os.path.exists("/usr/sbin/opendkim-genkey") else None)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def available():
    """Whether dnsmasq and opendkim-genkey are installed."""
    return bool(DNS.binary() and GENKEY)


def genkey(directory, domain, selector, bits=1024):
    """An RSA key pair: (private key file, the key record's text)."""
    d = os.path.join(directory, "%s.%s" % (selector, domain))
    os.makedirs(d, exist_ok=True)
    subprocess.run([GENKEY, "--bits=%d" % bits, "--domain=" + domain, "--selector=" + selector, "--directory=" + d],
                   check=True, capture_output=True)
    with open(os.path.join(d, selector + ".txt")) as f:
        record = "".join(f.read().split('"')[1::2])
    return os.path.join(d, selector + ".private"), record


class FakeUpstream(threading.Thread):
    """A UDP 'DNS server' on loopback that drops every query, or answers
    SERVFAIL; dnsmasq forwards a zone to it (DNS(forward=...))."""

    def __init__(self, servfail):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.servfail = servfail
        self.stopped = False
        self.start()

    def run(self):
        while not self.stopped:
            try:
                data, addr = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if self.servfail and len(data) >= 12:
                qid, flags = struct.unpack(">HH", data[:4])
                # QR, opcode and RD of the query, RA, rcode 2; question copied, no records
                rflags = 0x8000 | (flags & 0x7900) | 0x0080 | 2
                end = 12
                while end < len(data) and data[end] != 0:
                    end += data[end] + 1
                self.sock.sendto(struct.pack(">HHHHHH", qid, rflags, 1, 0, 0, 0) + data[12:end + 5], addr)

    def stop(self):
        self.stopped = True
        self.sock.close()


def txt_strings(text):
    """A TXT value as dnsmasq character-strings of at most 255 bytes."""
    b = text.encode()
    parts = [b[i:i + 255].decode() for i in range(0, len(b), 255)] or [""]
    return ",".join('"%s"' % p.replace('"', '\\"') for p in parts)


class DNS:
    def __init__(self, zones, txt, a=None, forward=None):
        """zones: domains dnsmasq answers for; txt: {name: [text, ...]};
        a: {name: ip}; forward: {zone: port of a FakeUpstream}."""
        a = a or {}
        forward = forward or {}
        self.dir = tempfile.mkdtemp(prefix="pc-dns-")
        # free_port() releases the port before dnsmasq binds it: a test
        # running beside this one can take it in between (seen once in a
        # full check: "Address already in use"); then another port
        for attempt in range(5):  # the last one answers or raises
            if self._start(zones, txt, a, forward, last=attempt == 4):
                return

    def _start(self, zones, txt, a, forward, last):
        """One try on a new port: True when dnsmasq answers, False when the
        port was taken meanwhile (and this is not the last try)."""
        self.port = free_port()
        conf = os.path.join(self.dir, "dnsmasq.conf")
        with open(conf, "w") as f:
            f.write("no-resolv\nno-hosts\nno-poll\nbind-interfaces\nlisten-address=127.0.0.1\n")
            f.write("port=%d\nlog-facility=%s\ncache-size=0\n" % (self.port, os.path.join(self.dir, "log")))
            for z in sorted(zones):
                f.write("local=/%s/\n" % z)
            for z, port in sorted(forward.items()):
                f.write("server=/%s/127.0.0.1#%d\n" % (z, port))
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
                why = self.proc.stderr.read().decode(errors="replace")
                if "Address already in use" in why and not last:
                    return False
                raise RuntimeError("dnsmasq exited: " + why)
            if self.answers():
                return True
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
