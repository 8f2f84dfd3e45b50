// js-libp2p 3.x uses Promise.withResolvers (Node >= 22). Debian 12 ships Node 20:
// preload this with `node --import ./polyfill.mjs ...`.
if (!Promise.withResolvers) {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new this((a, b) => { resolve = a; reject = b })
    return { promise, resolve, reject }
  }
}
