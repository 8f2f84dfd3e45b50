// A js-libp2p 3.x peer with the circuit relay v2 transport, for tst_relay_interop: it
// reserves a slot on a relay (--relay) and dials /p2p-circuit addresses, so PeerScope's relay
// service can be checked against js's own client. Same JSON-line protocol as peer.mjs.
//
//   node --import ./polyfill.mjs relay-peer.mjs [--relay RELAY_MULTIADDR] [--agent NAME]
//
// --relay: listen on RELAY_MULTIADDR/p2p-circuit only, i.e. reserve on that relay before
// "ready" and have no address of its own (a peer behind a NAT).
// --serve-relay: run js's own relay server (circuitRelayServer, its default limits: 2 min and
// 128 KiB per circuit), so PeerScope's relay client can be checked against it.
// Commands: dial {addr} (answers peerId, remoteAddr, direction, limited, connectionId), ping {peer}, peerInfo {peer}, connections, send {peer, bytes}
// (opens a /peerscope/sink/1.0.0 stream, also on a limited relayed connection, writes that
// many bytes and closes; answers {sent, error} rather than failing, so a test sees how far it
// got), received (bytes the sink took in), stop. Events: connection:open, connection:close
// (id, peerId, remoteAddr, direction), sink:end (bytes, error).

import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

const SINK = '/peerscope/sink/1.0.0'
const CHUNK = 16 * 1024

function parseArgs (argv) {
  const opts = { relay: null, serveRelay: false, agent: 'js-libp2p-relay-interop' }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--relay') opts.relay = value()
    else if (a === '--agent') opts.agent = value()
    else if (a === '--serve-relay') opts.serveRelay = true
    else throw new Error(`unknown argument ${a}`)
  }
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
    limited: c.limits != null
  }
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  // With a relay, like a peer behind a NAT: reachable only through it (and nobody upgrades the
  // relayed connection to a direct one behind the test's back).
  const listen = opts.relay != null ? [`${opts.relay}/p2p-circuit`] : ['/ip4/127.0.0.1/tcp/0']
  const node = await createLibp2p({
    addresses: { listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    nodeInfo: { userAgent: opts.agent },
    services: {
      identify: identify(),
      ping: ping(),
      ...(opts.serveRelay ? { relay: circuitRelayServer() } : {})
    },
    // A relay is dialled by every test peer at once.
    connectionManager: { inboundConnectionThreshold: 100 }
  })

  let received = 0
  // Counts what arrives until the remote closes or the stream dies (a relay's data limit).
  await node.handle(SINK, (stream) => {
    const onMessage = (evt) => { received += evt.data.byteLength }
    stream.addEventListener('message', onMessage)
    stream.addEventListener('close', (evt) => {
      stream.removeEventListener('message', onMessage)
      emit({ event: 'sink:end', bytes: received, error: evt.error?.message ?? null })
    })
  }, { runOnLimitedConnection: true })

  async function resolvePeer (str) {
    for (const p of node.getPeers()) if (p.toString() === str) return p
    for (const p of await node.peerStore.all()) if (p.id.toString() === str) return p.id
    throw new Error(`unknown peer ${str}`)
  }

  const commands = {
    async dial (req) {
      const conn = await node.dial(multiaddr(req.addr), { signal: AbortSignal.timeout(req.timeoutMs ?? 10000) })
      // `id` is the request's in an answer: the connection's goes as connectionId
      const { id, ...info } = connectionInfo(conn)
      return { connectionId: id, ...info }
    },
    async ping (req) {
      const rtt = await node.services.ping.ping(await resolvePeer(req.peer), { signal: AbortSignal.timeout(req.timeoutMs ?? 10000) })
      return { rtt }
    },
    async peerInfo (req) {
      const id = await resolvePeer(req.peer)
      const deadline = Date.now() + (req.timeoutMs ?? 5000)
      let p = await node.peerStore.get(id)
      while (!p.metadata.has('AgentVersion') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        p = await node.peerStore.get(id)
      }
      return {
        peerId: p.id.toString(),
        agentVersion: text(p.metadata.get('AgentVersion')),
        protocols: p.protocols
      }
    },
    async connections () {
      return { connections: node.getConnections().map(connectionInfo) }
    },
    async send (req) {
      const stream = await node.dialProtocol(await resolvePeer(req.peer), SINK, { runOnLimitedConnection: true })
      const zeros = new Uint8Array(CHUNK)
      let sent = 0
      try {
        while (sent < req.bytes) {
          const len = Math.min(CHUNK, req.bytes - sent)
          const more = stream.send(len === CHUNK ? zeros : zeros.subarray(0, len))
          sent += len
          if (!more) await stream.onDrain({ signal: AbortSignal.timeout(10000) })
        }
        await stream.close({ signal: AbortSignal.timeout(10000) })
        return { sent, error: null }
      } catch (err) {
        stream.abort(err)
        return { sent, error: err.message }
      }
    },
    async received () {
      return { received }
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
      process.stderr.write(`[relay-peer] stop failed: ${err.message}\n`)
    }
    process.exit(code)
  }
  process.on('SIGTERM', () => shutdown(0))
  process.on('SIGINT', () => shutdown(0))

  node.addEventListener('connection:open', (evt) => emit({ event: 'connection:open', ...connectionInfo(evt.detail) }))
  node.addEventListener('connection:close', (evt) => emit({ event: 'connection:close', ...connectionInfo(evt.detail) }))

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
    fn(req).then(
      (res) => emit({ id: req.id ?? null, ok: true, ...res }),
      (err) => emit({ id: req.id ?? null, ok: false, error: `${err.name ?? 'Error'}: ${err.message}` })
    )
  })
  rl.on('close', () => shutdown(0))
}

main().catch((err) => {
  process.stderr.write(`[relay-peer] fatal: ${err.stack ?? err}\n`)
  process.exit(1)
})
