#include "engine/nat/relay_ledger.h"

namespace peerscope {

const char* relayRefusalName(RelayRefusal refusal) {
    switch (refusal) {
    case RelayRefusal::None:
        return "none";
    case RelayRefusal::Reservations:
        return "reservations";
    case RelayRefusal::ReservationsPerIp:
        return "reservations_per_ip";
    case RelayRefusal::NoReservation:
        return "no_reservation";
    case RelayRefusal::Circuits:
        return "circuits";
    case RelayRefusal::CircuitsPerPeer:
        return "circuits_per_peer";
    }
    return "unknown";
}

RelayLedger::RelayLedger(RelayServiceConfig config) : config_(std::move(config)) {
    rebuildTrusted();
}

void RelayLedger::setConfig(RelayServiceConfig config) {
    config_ = std::move(config);
    rebuildTrusted();
}

void RelayLedger::rebuildTrusted() {
    trusted_.clear();
    // The config was validated; an entry that does not parse simply trusts nobody.
    for (const std::string& text : config_.trustedPeers)
        if (Result<PeerId> peer = PeerId::parse(text))
            trusted_.insert(peer.value());
}

bool RelayLedger::isTrusted(const PeerId& peer) const {
    return trusted_.count(peer) > 0;
}

RelayRefusal RelayLedger::reserve(const PeerId& peer, const std::string& ipKey, MonoTime now,
                                  MonoTime* expires) {
    const MonoTime until = now + std::chrono::duration_cast<MonoTime>(config_.reservationTtl);
    auto it = reservations_.find(peer);
    if (it != reservations_.end() && it->second.expires > now) {
        // A refresh: same slot, moved to the new address if the peer came back from another.
        if (it->second.ipKey != ipKey) {
            if (reservationsAt(ipKey) >= config_.maxReservationsPerIp &&
                liveReservations(now, &ipKey) >= config_.maxReservationsPerIp)
                return RelayRefusal::ReservationsPerIp;
            if (--reservationsByIp_[it->second.ipKey] <= 0)
                reservationsByIp_.erase(it->second.ipKey);
            ++reservationsByIp_[ipKey];
            it->second.ipKey = ipKey;
        }
        it->second.expires = until;
        if (expires)
            *expires = until;
        return RelayRefusal::None;
    }
    if (it != reservations_.end())
        dropReservation(peer); // its own expired one, not yet swept: replaced
    // Expired reservations not yet swept by expire() hold no slot.
    if (static_cast<int>(reservations_.size()) >= config_.maxReservations &&
        liveReservations(now, nullptr) >= config_.maxReservations)
        return RelayRefusal::Reservations;
    if (reservationsAt(ipKey) >= config_.maxReservationsPerIp &&
        liveReservations(now, &ipKey) >= config_.maxReservationsPerIp)
        return RelayRefusal::ReservationsPerIp;
    reservations_[peer] = Reservation{ipKey, until};
    ++reservationsByIp_[ipKey];
    if (expires)
        *expires = until;
    return RelayRefusal::None;
}

bool RelayLedger::hasReservation(const PeerId& peer, MonoTime now) const {
    auto it = reservations_.find(peer);
    return it != reservations_.end() && it->second.expires > now;
}

std::optional<MonoTime> RelayLedger::reservationExpiry(const PeerId& peer) const {
    auto it = reservations_.find(peer);
    if (it == reservations_.end())
        return std::nullopt;
    return it->second.expires;
}

void RelayLedger::dropReservation(const PeerId& peer) {
    auto it = reservations_.find(peer);
    if (it == reservations_.end())
        return;
    if (--reservationsByIp_[it->second.ipKey] <= 0)
        reservationsByIp_.erase(it->second.ipKey);
    reservations_.erase(it);
}

std::vector<PeerId> RelayLedger::expire(MonoTime now) {
    std::vector<PeerId> gone;
    for (const auto& [peer, reservation] : reservations_)
        if (reservation.expires <= now)
            gone.push_back(peer);
    for (const PeerId& peer : gone)
        dropReservation(peer);
    return gone;
}

RelayRefusal RelayLedger::openCircuit(const PeerId& source, const PeerId& destination,
                                      MonoTime now) {
    if (!hasReservation(destination, now))
        return RelayRefusal::NoReservation;
    if (static_cast<int>(circuits_) >= config_.maxCircuits)
        return RelayRefusal::Circuits;
    if (circuitsOf(source) >= config_.maxCircuitsPerPeer ||
        circuitsOf(destination) >= config_.maxCircuitsPerPeer)
        return RelayRefusal::CircuitsPerPeer;
    ++circuits_;
    ++circuitsByPeer_[source];
    ++circuitsByPeer_[destination];
    return RelayRefusal::None;
}

void RelayLedger::closeCircuit(const PeerId& source, const PeerId& destination) {
    if (circuits_ == 0)
        return;
    --circuits_;
    for (const PeerId* peer : {&source, &destination}) {
        auto it = circuitsByPeer_.find(*peer);
        if (it != circuitsByPeer_.end() && --it->second <= 0)
            circuitsByPeer_.erase(it);
    }
}

int RelayLedger::liveReservations(MonoTime now, const std::string* ipKey) const {
    int live = 0;
    for (const auto& [peer, reservation] : reservations_)
        if (reservation.expires > now && (ipKey == nullptr || reservation.ipKey == *ipKey))
            ++live;
    return live;
}

int RelayLedger::reservationsAt(const std::string& ipKey) const {
    auto it = reservationsByIp_.find(ipKey);
    return it == reservationsByIp_.end() ? 0 : it->second;
}

int RelayLedger::circuitsOf(const PeerId& peer) const {
    auto it = circuitsByPeer_.find(peer);
    return it == circuitsByPeer_.end() ? 0 : it->second;
}

RelayLedger::CircuitLimit RelayLedger::limitFor(const PeerId& source,
                                                const PeerId& destination) const {
    if (isTrusted(source) || isTrusted(destination))
        return {};
    return {config_.circuitDuration, config_.circuitDataBytes};
}

} // namespace peerscope
