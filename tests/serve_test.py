# Drives `easel serve` over loopback with the standard library alone (tests/serve.sh prepares the
# model file and the reference answers of `easel predict`).
#   serve_test.py EASEL_BINARY WORK_DIR
import atexit
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

easel, work = sys.argv[1], sys.argv[2]
model = f"{work}/model.npz"
reference = {}
for line in open(f"{work}/predict.jsonl"):
    r = json.loads(line)
    reference[r["image"]] = {t["class"]: t["probability"] for t in r["top"]}
images = sorted(reference)


servers = []
atexit.register(lambda: [s.kill() for s in servers if s.poll() is None])  # none outlives a failed check


def start(*flags):
    """A server on a free port; returns (process, port) once it listens."""
    p = subprocess.Popen([easel, "serve", "--model", model, "--port", "0", *flags],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    servers.append(p)
    line = p.stdout.readline()
    assert "on http://127.0.0.1:" in line, f"serve did not start: {line}{p.stdout.read()}"
    return p, int(line.split("127.0.0.1:")[1].split()[0])


def request(port, method, path, body=None, headers=None, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def stop(p):
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 0, f"serve exited {p.returncode}: {out}"
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def check_probabilities(image, answer):
    got = {t["class"]: t["probability"] for t in answer["top"]}
    want = reference[image]
    assert got.keys() == want.keys(), (got, want)
    for k in want:
        assert abs(got[k] - want[k]) < 1e-5, f"{image}: {k} {got[k]} != predict's {want[k]}"
    assert answer["class"] == max(want, key=want.get)


# ---- answers equal predict's, one at a time and batched under concurrent clients ----------------
p, port = start("--max-batch", "8", "--batch-wait-ms", "500")
status, _, body = request(port, "GET", "/healthz")
assert status == 200 and json.loads(body)["status"] == "ok"
meta = json.loads(request(port, "GET", "/v1/model")[2])
assert meta["format"] == "easel-model" and meta["classes"] == ["dark", "light"], meta
for image in images[:4]:
    status, _, body = request(port, "POST", "/v1/predict", read(image), {"Content-Type": "image/x-portable-pixmap"})
    assert status == 200, body
    answer = json.loads(body)
    assert answer["model"] == meta["id"]
    check_probabilities(image, answer)
for _ in range(3000):  # idle, the server runs one forward pass per batch shape (1, 2, 4, 8)
    if json.loads(request(port, "GET", "/healthz")[2])["warmed_up"]:
        break
    time.sleep(0.1)
else:
    raise AssertionError("the server did not finish warming up in 300 s")
count = [l for l in request(port, "GET", "/metrics")[2].decode().splitlines() if l.startswith("easel_batch_size_count")]
assert count == ["easel_batch_size_count 4"], count  # warm-up passes are not batches

answers, barrier = {}, threading.Barrier(len(images))


def client(image):
    barrier.wait()
    answers[image] = request(port, "POST", "/v1/predict", read(image))


threads = [threading.Thread(target=client, args=(i,)) for i in images]
for t in threads:
    t.start()
for t in threads:
    t.join()
batch_sizes = []
for image, (status, _, body) in answers.items():
    assert status == 200, body
    answer = json.loads(body)
    check_probabilities(image, answer)
    batch_sizes.append(answer["batch_size"])
assert max(batch_sizes) > 1, f"{len(images)} concurrent clients were never batched: {batch_sizes}"
assert max(batch_sizes) <= 8, batch_sizes

# multipart/form-data with one file, and a PNG (the Grad-CAM overlay the server draws)
status, headers, png = request(port, "POST", "/v1/gradcam", read(images[0]))
assert status == 200 and headers["Content-Type"] == "image/png" and png[:8] == b"\x89PNG\r\n\x1a\n", headers
assert headers["X-Easel-Class"] in ("dark", "light")
boundary = "easel-test-boundary"
form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.ppm\"\r\n"
        f"Content-Type: image/x-portable-pixmap\r\n\r\n").encode() + read(images[1]) + f"\r\n--{boundary}--\r\n".encode()
status, _, body = request(port, "POST", "/v1/predict?top=1", form,
                          {"Content-Type": f"multipart/form-data; boundary={boundary}"})
assert status == 200, body
answer = json.loads(body)
assert len(answer["top"]) == 1
check_probabilities(images[1], {"class": answer["class"], "top": json.loads(request(port, "POST", "/v1/predict", read(images[1]))[2])["top"]})
status, _, png_answer = request(port, "POST", "/v1/predict", png)
assert status == 200, png_answer

# ---- bad requests: a JSON error each, and the server stays up --------------------------------
def expect(status_wanted, method, path, body=None, headers=None, words=""):
    status, hdrs, data = request(port, method, path, body, headers)
    assert status == status_wanted, f"{method} {path}: {status} {data}"
    err = json.loads(data)["error"]
    assert words in err, f"{method} {path}: '{words}' not in '{err}'"
    return hdrs


expect(400, "POST", "/v1/predict", b"", words="empty body")
expect(400, "POST", "/v1/predict", b"this is not an image", words="cannot decode image")
expect(400, "POST", "/v1/predict", png[: len(png) // 2], words="the request's image")  # truncated
expect(400, "POST", "/v1/predict", f"--{boundary}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n--{boundary}--\r\n",
       {"Content-Type": f"multipart/form-data; boundary={boundary}"}, words="no file")
expect(400, "POST", "/v1/predict?top=9", read(images[0]), words="top=9")
expect(400, "POST", "/v1/gradcam?class=cubism", read(images[0]), words="cubism")
expect(404, "GET", "/v2/predict", words="no route /v2/predict")
hdrs = expect(405, "GET", "/v1/predict", words="use POST")
assert hdrs["Allow"] == "POST"
assert expect(405, "DELETE", "/v1/model", words="use GET")["Allow"] == "GET, HEAD"
assert expect(405, "PUT", "/v1/predict", read(images[0]), words="use POST")["Allow"] == "POST"
# Bodies whose size is not known up front, or that would be inflated, are refused before reading.
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.putrequest("POST", "/v1/predict")
c.putheader("Transfer-Encoding", "chunked")
c.endheaders()
c.send(b"5\r\nhello\r\n0\r\n\r\n")
r = c.getresponse()
assert r.status == 411 and "Content-Length" in json.loads(r.read())["error"] and r.getheader("Connection") == "close"
c.close()
expect(415, "POST", "/v1/predict", read(images[0]), {"Content-Encoding": "gzip"}, words="Content-Encoding gzip")
assert request(port, "GET", "/healthz")[0] == 200
metrics = request(port, "GET", "/metrics")[2].decode()
for needle in ['easel_requests_total{path="/v1/predict",status="200"}', 'easel_requests_total{path="/v1/predict",status="400"} 5',
               'easel_requests_total{path="other",status="404"} 1', "easel_batch_size_bucket", "easel_queue_depth 0",
               'easel_predict_duration_seconds_bucket{le="+Inf"}']:
    assert needle in metrics, f"{needle} not in /metrics:\n{metrics}"
batched = [l for l in metrics.splitlines() if l.startswith('easel_batch_size_bucket{le="1"}')][0]
count = [l for l in metrics.splitlines() if l.startswith("easel_batch_size_count")][0]
assert int(batched.split()[-1]) < int(count.split()[-1]), (batched, count)  # some batches held more than one image

# A slow client (headers never finished) is dropped after --timeout-s; the others are served meanwhile.
out = stop(p)
assert "stopped after" in out, out
p, port = start("--timeout-s", "1", "--max-body-mb", "1", "--max-megapixels", "0.0001", "--no-warmup")
assert json.loads(request(port, "GET", "/healthz")[2])["warmed_up"]  # nothing to warm up
expect(400, "POST", "/v1/predict", read(images[0]), words="megapixels at most")  # 400 pixels > 100
slow = socket.create_connection(("127.0.0.1", port), timeout=30)
slow.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: x\r\n")
assert request(port, "GET", "/healthz")[0] == 200
t0 = time.time()
try:
    leftover = slow.recv(1024)
except (ConnectionResetError, socket.timeout):
    leftover = b""
assert time.time() - t0 < 20, "a slow client was not dropped"
assert b"200" not in leftover, leftover
slow.close()
expect(413, "POST", "/v1/predict", b"\0" * (2 * 1024 * 1024), {"Content-Type": "image/png"}, words="over the limit of 1 MB")
# curl's default Content-Type for --data-binary: httplib caps form bodies at 8 KB, and the error says what to send
expect(413, "POST", "/v1/predict", b"\0" * 10000, {"Content-Type": "application/x-www-form-urlencoded"},
       words="Content-Type: image/jpeg")
assert request(port, "GET", "/healthz")[0] == 200
stop(p)

# ---- API keys: /healthz open, everything else needs the key -------------------------------------
with open(f"{work}/key", "w") as f:
    f.write("s3cret-key-for-tests\n")
p, port = start("--api-key-file", f"{work}/key")
expect(401, "POST", "/v1/predict", read(images[0]), words="missing API key")
expect(401, "GET", "/metrics", words="missing API key")
expect(401, "GET", "/v1/model", headers={"Authorization": "Bearer wrong-key-value"}, words="wrong API key")
assert request(port, "GET", "/healthz")[0] == 200
assert request(port, "POST", "/v1/predict", read(images[0]), {"Authorization": "Bearer s3cret-key-for-tests"})[0] == 200
assert request(port, "GET", "/v1/model", headers={"X-API-Key": "s3cret-key-for-tests"})[0] == 200
stop(p)

# ---- a full queue answers 503 + Retry-After; SIGTERM finishes what is in flight -----------------
# The batch waits 3 s to fill: the first two images queue, the third finds the queue full.
p, port = start("--max-batch", "64", "--batch-wait-ms", "3000", "--max-queue", "2")
results = []


def queued(image):
    results.append(request(port, "POST", "/v1/predict", read(image)))


first = [threading.Thread(target=queued, args=(i,)) for i in images[:2]]
for t in first:
    t.start()
for _ in range(600):  # until both images wait in the queue
    if "easel_queue_depth 2\n" in request(port, "GET", "/metrics")[2].decode():
        break
    time.sleep(0.05)
status, hdrs, body = request(port, "POST", "/v1/predict", read(images[2]))
assert status == 503 and hdrs.get("Retry-After") == "1" and "busy" in json.loads(body)["error"], (status, body)
p.send_signal(signal.SIGTERM)  # two images still in flight
for t in first:
    t.join()
assert [r[0] for r in results] == [200, 200], results
out, _ = p.communicate(timeout=60)
assert p.returncode == 0, out
try:
    request(port, "GET", "/healthz", timeout=5)
    raise AssertionError("the server still answers after SIGTERM")
except (ConnectionRefusedError, ConnectionResetError, socket.timeout):
    pass
print(f"serve: {len(images)} images equal predict's; batches up to {max(batch_sizes)}; every bad request answered; "
      "keys, 503, slow clients, SIGTERM drain OK")
