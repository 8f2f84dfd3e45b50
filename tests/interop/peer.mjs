// A real js-libp2p 3.x peer for PeerScope's interop tests and benchmarks.
//
//   node --import ./polyfill.mjs peer.mjs [--listen MA]... [--no-muxer-in-noise]
//        [--agent NAME] [--seed HEX32] [--debug]
//
// Prints one {"event":"ready",...} line, then answers JSON-line commands on stdin
// ({"id":N,"cmd":"..."} -> {"id":N,"ok":true,...}) and emits event lines. See README.md.
// The module also exports createPeer() and the perf client so bench/js/baseline.mjs
// can run the same node in-process.

import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

export { multiaddr }
export const PERF_PROTOCOL = '/perf/1.0.0'
const CHUNK = 64 * 1024
const ZEROS = new Uint8Array(CHUNK) // never mutated, so one buffer can be queued many times

// ---------------------------------------------------------------------------
// Noise wrapper: records each handshake's NoiseExtensions and can switch off early
// muxer negotiation. @chainsafe/libp2p-noise 17 offers every muxer the upgrader knows
// in NoiseExtensions.stream_muxers and picks the first of the remote's list it
// supports; the upgrader then skips multistream-select for the muxer. The option
// skipStreamMuxerNegotiation (normally set by transports that bring their own muxer)
// makes it send an empty list AND ignore the remote's list, so both sides fall back
// to multistream-select for /yamux/1.0.0. Sending an empty list alone would not do:
// we would still pick yamux early from a remote's non-empty list while that remote,
// seeing our empty list, waits for multistream-select.
function recordingNoise ({ muxerInNoise, handshakes, debug }) {
  const factory = noise()
  return (components) => {
    const enc = factory(components)
    const wrap = (direction, fn) => async (connection, options = {}) => {
      const opts = muxerInNoise ? options : { ...options, skipStreamMuxerNegotiation: true }
      const offered = opts.skipStreamMuxerNegotiation === true
        ? []
        : [...components.upgrader.getStreamMuxers().keys()]
      const res = await fn(connection, opts)
      const rec = {
        direction,
        remotePeer: res.remotePeer.toString(),
        offeredStreamMuxers: offered,
        remoteStreamMuxers: res.remoteExtensions?.streamMuxers ?? [],
        earlyMuxer: res.streamMuxer?.protocol ?? null
      }
      handshakes.push(rec)
      if (handshakes.length > 1000) handshakes.shift()
      if (debug) process.stderr.write(`[peer] noise ${JSON.stringify(rec)}\n`)
      return res
    }
    enc.secureInbound = wrap('inbound', enc.secureInbound.bind(enc))
    enc.secureOutbound = wrap('outbound', enc.secureOutbound.bind(enc))
    return enc
  }
}

// ---------------------------------------------------------------------------
// perf (github.com/libp2p/specs perf/perf.md), hand-written since @libp2p/perf is
// not available: client sends u64be(bytes wanted back), its upload, closes write;
// server drains to EOF, then sends the requested bytes and closes.

async function sendZeros (stream, n) {
  let left = n
  while (left > 0) {
    const len = Math.min(CHUNK, left)
    left -= len
    if (!stream.send(len === CHUNK ? ZEROS : ZEROS.subarray(0, len))) {
      await stream.onDrain()
    }
  }
}

// Calls onData for each chunk until the remote closes its write side.
function readToEnd (stream, onData) {
  return new Promise((resolve, reject) => {
    const onMessage = (evt) => onData(evt.data)
    const done = (err) => {
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('end', onEnd)
      stream.removeEventListener('close', onClose)
      if (err != null) reject(err)
      else resolve()
    }
    const onEnd = () => done()
    const onClose = (evt) => done(evt.error)
    stream.addEventListener('message', onMessage)
    stream.addEventListener('end', onEnd)
    stream.addEventListener('close', onClose)
    if (stream.readableEnded) done()
  })
}

async function handlePerf (stream) {
  try {
    let header = new Uint8Array(0)
    let received = 0
    await readToEnd(stream, (data) => {
      let buf = data.subarray()
      if (header.length < 8) {
        const need = 8 - header.length
        const head = buf.subarray(0, need)
        const joined = new Uint8Array(header.length + head.length)
        joined.set(header)
        joined.set(head, header.length)
        header = joined
        buf = buf.subarray(head.length)
      }
      received += buf.length
    })
    if (header.length < 8) throw new Error('perf: stream ended before the 8-byte header')
    const wanted = new DataView(header.buffer, header.byteOffset, 8).getBigUint64(0, false)
    if (wanted > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('perf: request too large')
    await sendZeros(stream, Number(wanted))
    await stream.close()
    void received
  } catch (err) {
    stream.abort(err)
  }
}

// Runs one perf exchange on a fresh stream. Returns byte counts and timings in seconds.
export async function perfClient (node, target, upload, download, options = {}) {
  const t0 = performance.now()
  const stream = await node.dialProtocol(target, PERF_PROTOCOL, options)
  try {
    let downloaded = 0
    let firstByteAt = null
    const reading = readToEnd(stream, (data) => {
      if (firstByteAt === null) firstByteAt = performance.now()
      downloaded += data.byteLength
    })
    const header = new Uint8Array(8)
    new DataView(header.buffer).setBigUint64(0, BigInt(download), false)
    stream.send(header)
    await sendZeros(stream, upload)
    await stream.close()
    const tUp = performance.now()
    await reading
    const tEnd = performance.now()
    if (downloaded !== download) {
      throw new Error(`perf: expected ${download} bytes back, got ${downloaded}`)
    }
    return {
      uploadBytes: upload,
      downloadBytes: downloaded,
      seconds: (tEnd - t0) / 1000,
      uploadSeconds: (tUp - t0) / 1000,
      downloadSeconds: firstByteAt === null ? 0 : (tEnd - firstByteAt) / 1000
    }
  } catch (err) {
    stream.abort(err)
    throw err
  }
}

// ---------------------------------------------------------------------------

export async function createPeer ({
  listen = ['/ip4/127.0.0.1/tcp/0'],
  muxerInNoise = true,
  agent = 'js-libp2p-interop',
  seed = null,
  debug = false
} = {}) {
  const handshakes = []
  const privateKey = seed != null ? await generateKeyPairFromSeed('Ed25519', seed) : undefined
  const node = await createLibp2p({
    ...(privateKey != null ? { privateKey } : {}),
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [recordingNoise({ muxerInNoise, handshakes, debug })],
    streamMuxers: [yamux()],
    connectionManager: {
      // tests and benchmarks dial in tight loops from one host
      maxConnections: 10000,
      inboundConnectionThreshold: 10000,
      maxIncomingPendingConnections: 1000
    },
    nodeInfo: { userAgent: agent },
    services: {
      identify: identify(),
      ping: ping()
    }
  })
  await node.handle(PERF_PROTOCOL, handlePerf, {
    maxInboundStreams: 64,
    maxOutboundStreams: 64,
    runOnLimitedConnection: false
  })
  return { node, handshakes }
}

function parseArgs (argv) {
  const opts = { listen: [], muxerInNoise: true, agent: 'js-libp2p-interop', seed: null, debug: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--listen') opts.listen.push(value())
    else if (a === '--no-muxer-in-noise') opts.muxerInNoise = false
    else if (a === '--agent') opts.agent = value()
    else if (a === '--seed') opts.seed = Buffer.from(value(), 'hex')
    else if (a === '--debug') opts.debug = true
    else throw new Error(`unknown argument ${a}`)
  }
  if (opts.listen.length === 0) opts.listen.push('/ip4/127.0.0.1/tcp/0')
  if (opts.seed != null && opts.seed.length !== 32) throw new Error('--seed needs 32 bytes of hex')
  if (process.env.PEERSCOPE_PEER_DEBUG) opts.debug = true
  return opts
}

function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

const text = (bytes) => bytes == null ? null : new TextDecoder().decode(bytes)

function connectionInfo (c) {
  return {
    id: c.id,
    peerId: c.remotePeer.toString(),
    remoteAddr: c.remoteAddr.toString(),
    direction: c.direction,
    status: c.status,
    encryption: c.encryption ?? null,
    multiplexer: c.multiplexer ?? null,
    streams: c.streams.map(s => ({ protocol: s.protocol ?? null, direction: s.direction }))
  }
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const { node, handshakes } = await createPeer(opts)

  // Peer ids are resolved against what the node knows, so no dependency on
  // @libp2p/peer-id is needed.
  async function resolvePeer (str) {
    for (const p of node.getPeers()) if (p.toString() === str) return p
    for (const p of await node.peerStore.all()) if (p.id.toString() === str) return p.id
    throw new Error(`unknown peer ${str}`)
  }
  async function target (req) {
    if (req.addr != null) return multiaddr(req.addr)
    if (req.peer != null) return resolvePeer(req.peer)
    throw new Error('need "peer" or "addr"')
  }
  function identified (peerStr, timeoutMs) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { node.removeEventListener('peer:identify', on); resolve() }, timeoutMs)
      const on = (evt) => {
        if (evt.detail.peerId.toString() !== peerStr) return
        clearTimeout(timer)
        node.removeEventListener('peer:identify', on)
        resolve()
      }
      node.addEventListener('peer:identify', on)
    })
  }

  const commands = {
    async dial (req) {
      const conn = await node.dial(multiaddr(req.addr), { signal: AbortSignal.timeout(req.timeoutMs ?? 10000) })
      return { peerId: conn.remotePeer.toString(), remoteAddr: conn.remoteAddr.toString(), connectionId: conn.id }
    },
    async ping (req) {
      const to = await target(req)
      const count = Math.max(1, Math.min(req.count ?? 1, 10000))
      const rtts = []
      const preciseRtts = []
      for (let i = 0; i < count; i++) {
        const t0 = performance.now()
        rtts.push(await node.services.ping.ping(to, { signal: AbortSignal.timeout(req.timeoutMs ?? 10000) }))
        preciseRtts.push(Math.round((performance.now() - t0) * 1000) / 1000)
      }
      // rtts: what the ping service reports (whole ms); preciseRtts: sub-ms wall time
      // around each call (includes opening the stream).
      return { rtts, preciseRtts }
    },
    async peerInfo (req) {
      const id = await resolvePeer(req.peer)
      let p = await node.peerStore.get(id)
      if (!p.metadata.has('AgentVersion')) {
        // identify runs right after the connection opens; give it a moment
        await identified(req.peer, req.timeoutMs ?? 5000)
        p = await node.peerStore.get(id)
      }
      return {
        peerId: p.id.toString(),
        agentVersion: text(p.metadata.get('AgentVersion')),
        protocolVersion: text(p.metadata.get('ProtocolVersion')),
        protocols: p.protocols,
        addrs: p.addresses.map(a => a.multiaddr.toString())
      }
    },
    async connections () {
      return { connections: node.getConnections().map(connectionInfo) }
    },
    async perf (req) {
      const upload = req.upload ?? 0
      const download = req.download ?? 0
      if (!Number.isSafeInteger(upload) || !Number.isSafeInteger(download) || upload < 0 || download < 0) {
        throw new Error('upload and download must be non-negative integers')
      }
      return perfClient(node, await target(req), upload, download)
    },
    async hangup (req) {
      await node.hangUp(req.addr != null ? multiaddr(req.addr) : await resolvePeer(req.peer))
      return {}
    },
    async handshakes () {
      return { handshakes }
    },
    async stop () {
      setImmediate(() => shutdown(0))
      return {}
    }
  }

  let stopping = false
  async function shutdown (code) {
    if (stopping) return
    stopping = true
    const force = setTimeout(() => process.exit(code), 3000)
    force.unref()
    try {
      await node.stop()
    } catch (err) {
      process.stderr.write(`[peer] stop failed: ${err.message}\n`)
    }
    process.exit(code)
  }
  process.on('SIGTERM', () => shutdown(0))
  process.on('SIGINT', () => shutdown(0))

  node.addEventListener('peer:identify', (evt) => {
    const d = evt.detail
    emit({
      event: 'peer:identify',
      peerId: d.peerId.toString(),
      agentVersion: d.agentVersion ?? null,
      protocolVersion: d.protocolVersion ?? null,
      protocols: d.protocols,
      listenAddrs: d.listenAddrs.map(String)
    })
  })
  node.addEventListener('connection:open', (evt) => {
    const c = evt.detail
    emit({ event: 'connection:open', id: c.id, peerId: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), direction: c.direction })
  })
  node.addEventListener('connection:close', (evt) => {
    const c = evt.detail
    emit({ event: 'connection:close', id: c.id, peerId: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), direction: c.direction })
  })

  emit({ event: 'ready', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  rl.on('line', (line) => {
    if (line.trim() === '') return
    let req
    try {
      req = JSON.parse(line)
    } catch (err) {
      emit({ id: null, ok: false, error: `bad JSON: ${err.message}` })
      return
    }
    const fn = Object.hasOwn(commands, req.cmd) ? commands[req.cmd] : null
    if (fn == null) {
      emit({ id: req.id ?? null, ok: false, error: `unknown command ${req.cmd}` })
      return
    }
    // commands run concurrently; answers are matched by id
    fn(req).then(
      (res) => emit({ id: req.id ?? null, ok: true, ...res }),
      (err) => emit({ id: req.id ?? null, ok: false, error: `${err.name ?? 'Error'}: ${err.message}` })
    )
  })
  rl.on('close', () => shutdown(0))
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`[peer] fatal: ${err.stack ?? err}\n`)
    process.exit(1)
  })
}
