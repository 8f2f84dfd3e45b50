// js-libp2p <-> js-libp2p baseline figures that PeerScope's own numbers are compared with.
//
//   node bench/js/baseline.mjs [--connections 100] [--bytes 1073741824] [--runs 3]
//                              [--no-muxer-in-noise] [--same-process] [--json]
//
// Needs `npm ci` in tests/interop. The listener is a separate peer.mjs process (so
// each node has its own core, as PeerScope vs js would), unless --same-process.
// (1) connection setup: TCP connect + Noise + yamux upgrade + first ping, on a fresh
//     connection each time, median over N (a few warm-up dials are not counted);
// (2) single-stream throughput over one connection with /perf/1.0.0, median of runs.

import '../../tests/interop/polyfill.mjs' // must evaluate before libp2p loads
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createPeer, multiaddr, perfClient } from '../../tests/interop/peer.mjs'

const INTEROP_DIR = fileURLToPath(new URL('../../tests/interop/', import.meta.url))
const WARMUP = 5

function parseArgs (argv) {
  const o = { connections: 100, bytes: 1 << 30, runs: 3, muxerInNoise: true, sameProcess: false, json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--connections') o.connections = Number(argv[++i])
    else if (a === '--bytes') o.bytes = Number(argv[++i])
    else if (a === '--runs') o.runs = Number(argv[++i])
    else if (a === '--no-muxer-in-noise') o.muxerInNoise = false
    else if (a === '--same-process') o.sameProcess = true
    else if (a === '--json') o.json = true
    else throw new Error(`unknown argument ${a}`)
  }
  if (!(o.connections >= 1 && o.connections <= 10000)) throw new Error('--connections must be 1..10000')
  if (!(o.runs >= 1 && o.runs <= 20)) throw new Error('--runs must be 1..20')
  if (!Number.isSafeInteger(o.bytes) || o.bytes < 1) throw new Error('--bytes must be a positive integer')
  return o
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const ms = (x) => x.toFixed(2)

async function startListener (opts) {
  if (opts.sameProcess) {
    const { node } = await createPeer({ muxerInNoise: opts.muxerInNoise, agent: 'js-baseline-listener' })
    return { addr: node.getMultiaddrs()[0], stop: () => node.stop() }
  }
  const args = ['--import', './polyfill.mjs', 'peer.mjs', '--agent', 'js-baseline-listener']
  if (!opts.muxerInNoise) args.push('--no-muxer-in-noise')
  const child = spawn(process.execPath, args, { cwd: INTEROP_DIR, stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000)
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => { throw new Error('listener exited before ready') })
  ])
  clearTimeout(timer)
  const ready = JSON.parse(line)
  lines.on('line', () => {}) // keep draining its events
  return {
    addr: multiaddr(ready.addrs[0]),
    stop: async () => {
      const exited = once(child, 'exit')
      child.stdin.end()
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(kill)
    }
  }
}

async function connectionSetup (client, addr, count) {
  const totals = []
  const dials = []
  const pings = []
  for (let i = 0; i < WARMUP + count; i++) {
    const signal = AbortSignal.timeout(10000)
    const t0 = performance.now()
    const conn = await client.dial(addr, { signal })
    const t1 = performance.now()
    await client.services.ping.ping(conn.remotePeer, { signal })
    const t2 = performance.now()
    await conn.close()
    if (i >= WARMUP) {
      totals.push(t2 - t0)
      dials.push(t1 - t0)
      pings.push(t2 - t1)
    }
  }
  return { totals, dials, pings }
}

async function throughput (client, addr, bytes, runs) {
  const down = []
  const up = []
  const conn = await client.dial(addr)
  for (let i = 0; i < runs; i++) {
    const d = await perfClient(client, conn.remotePeer, 0, bytes)
    down.push(bytes / d.seconds / 1e9)
    const u = await perfClient(client, conn.remotePeer, bytes, 0)
    up.push(bytes / u.seconds / 1e9)
  }
  await conn.close()
  return { down, up }
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const listener = await startListener(opts)
  const { node: client } = await createPeer({ muxerInNoise: opts.muxerInNoise, agent: 'js-baseline-dialer' })
  try {
    const setup = await connectionSetup(client, listener.addr, opts.connections)
    const tp = await throughput(client, listener.addr, opts.bytes, opts.runs)
    const result = {
      node: process.version,
      muxerInNoise: opts.muxerInNoise,
      sameProcess: opts.sameProcess,
      connections: opts.connections,
      setupMedianMs: median(setup.totals),
      setupP90Ms: quantile(setup.totals, 0.9),
      dialMedianMs: median(setup.dials),
      firstPingMedianMs: median(setup.pings),
      perfBytes: opts.bytes,
      perfRuns: opts.runs,
      downloadGBps: median(tp.down),
      uploadGBps: median(tp.up)
    }
    if (opts.json) {
      console.log(JSON.stringify(result))
    } else {
      console.log(`js-libp2p baseline (Node ${result.node}, ${opts.sameProcess ? 'one process' : 'two processes'}, ` +
        `muxer in noise: ${opts.muxerInNoise ? 'yes' : 'no'})`)
      console.log(`connection setup (TCP + noise + yamux + first ping), ${opts.connections} fresh connections:`)
      console.log(`  median ${ms(result.setupMedianMs)} ms, p90 ${ms(result.setupP90Ms)} ms ` +
        `(dial+upgrade median ${ms(result.dialMedianMs)} ms, first ping ${ms(result.firstPingMedianMs)} ms)`)
      console.log(`single-stream /perf/1.0.0, ${opts.bytes} bytes, median of ${opts.runs}:`)
      console.log(`  download ${result.downloadGBps.toFixed(3)} GB/s, upload ${result.uploadGBps.toFixed(3)} GB/s ` +
        `(runs: down ${tp.down.map(x => x.toFixed(3)).join(' ')}, up ${tp.up.map(x => x.toFixed(3)).join(' ')})`)
    }
  } finally {
    await client.stop()
    await listener.stop()
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err)
  process.exit(1)
})
