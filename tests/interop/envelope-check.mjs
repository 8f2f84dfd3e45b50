// Cross-checks PeerScope's signed envelopes, reservation vouchers and hop messages against
// js-libp2p's own code (@libp2p/peer-record's RecordEnvelope, @libp2p/circuit-relay-v2's
// voucher record and protobuf codecs). One command per run; prints one JSON line.
//
//   node --import ./polyfill.mjs envelope-check.mjs open <envelopeHex>
//       js opens a voucher envelope; prints signer, relay, peer, expiration, payloadType.
//   node --import ./polyfill.mjs envelope-check.mjs seal <relaySeedHex> <peerId> <expiration>
//       js seals a voucher for <peerId> with the relay key from the Ed25519 seed.
//   node --import ./polyfill.mjs envelope-check.mjs reservation <relaySeedHex> <peerId> <expiration>
//       a length-prefixed HopMessage STATUS OK with a reservation and limit, as js's relay
//       server writes it.
//   node --import ./polyfill.mjs envelope-check.mjs decode-hop <frameHex>
//   node --import ./polyfill.mjs envelope-check.mjs decode-stop <frameHex>
//       js decodes one length-prefixed message; prints its fields.
import { generateKeyPairFromSeed, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromMultihash, peerIdFromPrivateKey, peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
// Not in the package's exports map, so imported by path.
import { ReservationVoucherRecord } from './node_modules/@libp2p/circuit-relay-v2/dist/src/server/reservation-voucher.js'
import { HopMessage, StopMessage, Status, ReservationVoucher } from './node_modules/@libp2p/circuit-relay-v2/dist/src/pb/index.js'

const DOMAIN = 'libp2p-relay-rsvp'
const hex = (bytes) => Buffer.from(bytes).toString('hex')
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'))
const idFromBytes = (bytes) => peerIdFromMultihash(Digest.decode(bytes)).toString()

function lengthPrefixed (body) {
  const prefix = []
  let n = body.length
  while (n >= 0x80) { prefix.push((n & 0x7f) | 0x80); n >>>= 7 }
  prefix.push(n)
  return new Uint8Array([...prefix, ...body])
}

function unprefixed (frame) {
  let length = 0
  let shift = 0
  let i = 0
  for (;; i++) {
    if (i >= frame.length) throw new Error('truncated length prefix')
    length += (frame[i] & 0x7f) * 2 ** shift
    shift += 7
    if ((frame[i] & 0x80) === 0) break
  }
  const body = frame.subarray(i + 1)
  if (body.length !== length) throw new Error(`frame claims ${length} bytes, has ${body.length}`)
  return body
}

async function sealVoucher (seedHex, peer, expiration) {
  const key = await generateKeyPairFromSeed('Ed25519', unhex(seedHex))
  const relay = peerIdFromPrivateKey(key)
  const record = new ReservationVoucherRecord({ relay, peer: peerIdFromString(peer), expiration: BigInt(expiration) })
  const envelope = await RecordEnvelope.seal(record, key)
  return { relay, envelope }
}

function describePeer (peer) {
  return peer == null ? null : { id: idFromBytes(peer.id), addrs: peer.addrs.map(a => multiaddr(a).toString()) }
}

function describeLimit (limit) {
  return limit == null ? null : { duration: limit.duration ?? null, data: limit.data?.toString() ?? null }
}

const commands = {
  async open (envelopeHex) {
    const envelope = await RecordEnvelope.openAndCertify(unhex(envelopeHex), DOMAIN)
    const voucher = ReservationVoucher.decode(envelope.payload)
    return {
      signer: peerIdFromPublicKey(envelope.publicKey).toString(),
      payloadType: hex(envelope.payloadType),
      relay: idFromBytes(voucher.relay),
      peer: idFromBytes(voucher.peer),
      expiration: voucher.expiration.toString()
    }
  },
  async seal (seedHex, peer, expiration) {
    const { relay, envelope } = await sealVoucher(seedHex, peer, expiration)
    return { relay: relay.toString(), envelope: hex(envelope.marshal()) }
  },
  async reservation (seedHex, peer, expiration) {
    const { relay, envelope } = await sealVoucher(seedHex, peer, expiration)
    // What js's relay server builds: the voucher as an Envelope message, not opaque bytes.
    const message = HopMessage.encode({
      type: HopMessage.Type.STATUS,
      status: Status.OK,
      reservation: {
        expire: BigInt(expiration),
        addrs: [multiaddr('/ip4/127.0.0.1/tcp/4001').bytes, multiaddr('/ip6/::1/tcp/4002').bytes],
        voucher: {
          publicKey: publicKeyToProtobuf(envelope.publicKey),
          payloadType: envelope.payloadType,
          payload: ReservationVoucher.decode(envelope.payload),
          signature: envelope.signature
        }
      },
      limit: { duration: 120, data: 131072n }
    })
    return { relay: relay.toString(), frame: hex(lengthPrefixed(message)) }
  },
  async 'decode-hop' (frameHex) {
    const message = HopMessage.decode(unprefixed(unhex(frameHex)))
    const reservation = message.reservation
    return {
      type: message.type,
      status: message.status ?? null,
      peer: describePeer(message.peer),
      limit: describeLimit(message.limit),
      reservation: reservation == null
        ? null
        : {
            expire: reservation.expire?.toString() ?? null,
            addrs: reservation.addrs.map(a => multiaddr(a).toString()),
            voucherPayload: reservation.voucher == null
              ? null
              : {
                  relay: idFromBytes(reservation.voucher.payload.relay),
                  peer: idFromBytes(reservation.voucher.payload.peer),
                  expiration: reservation.voucher.payload.expiration.toString()
                }
          }
    }
  },
  async 'decode-stop' (frameHex) {
    const message = StopMessage.decode(unprefixed(unhex(frameHex)))
    return {
      type: message.type,
      status: message.status ?? null,
      peer: describePeer(message.peer),
      limit: describeLimit(message.limit)
    }
  }
}

const [command, ...args] = process.argv.slice(2)
try {
  if (commands[command] == null) throw new Error(`unknown command ${command}`)
  console.log(JSON.stringify({ ok: true, ...(await commands[command](...args)) }))
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: String(err?.message ?? err) }))
  process.exitCode = 1
}
