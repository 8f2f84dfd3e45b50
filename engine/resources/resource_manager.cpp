#include "engine/resources/resource_manager.h"

#include <arpa/inet.h>
#include <cstring>

namespace peerscope {

namespace {

constexpr std::size_t index(ResourceScope scope) {
    return static_cast<std::size_t>(scope);
}
constexpr std::size_t index(Resource resource) {
    return static_cast<std::size_t>(resource);
}

bool isConnection(Resource resource) {
    return resource == Resource::InboundConnections || resource == Resource::OutboundConnections;
}

std::optional<std::uint32_t> atLeastOne(int limit) {
    return static_cast<std::uint32_t>(limit < 1 ? 1 : limit);
}

} // namespace

namespace {
// By enum value.
constexpr const char* scopeNames[resourceScopeCount] = {"system",     "ip",       "peer",
                                                        "connection", "protocol", "stream"};
struct ResourceNames {
    const char* name; // for metrics
    const char* text; // for people
};
constexpr ResourceNames resourceNames[resourceCount] = {
    {"pending_handshakes", "pending handshakes"},
    {"inbound_connections", "inbound connections"},
    {"outbound_connections", "outbound connections"},
    {"inbound_streams", "inbound streams"},
    {"outbound_streams", "outbound streams"},
    {"bytes_buffered", "bytes buffered"}};
constexpr std::size_t holdersSlot = resourceCount; // in an Entry's array
} // namespace

const char* resourceScopeName(ResourceScope scope) {
    return scopeNames[index(scope)];
}

const char* resourceName(Resource resource) {
    return resourceNames[index(resource)].name;
}

const char* resourceText(Resource resource) {
    return resourceNames[index(resource)].text;
}

std::string refusalReason(const ResourceRefusal& refusal) {
    return std::string(resourceText(refusal.resource)) + " over the " +
           resourceScopeName(refusal.scope) + " limit (" + std::to_string(refusal.limit) + ")";
}

std::optional<std::string> ipScopeKey(std::string_view address) {
    const std::string text(address);
    char out[INET6_ADDRSTRLEN] = {};
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1)
        return text;
    in6_addr v6{};
    if (inet_pton(AF_INET6, text.c_str(), &v6) != 1)
        return std::nullopt;
    static constexpr std::uint8_t mappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, mappedPrefix, sizeof mappedPrefix) == 0) {
        std::memcpy(&v4, v6.s6_addr + 12, 4);
        inet_ntop(AF_INET, &v4, out, sizeof out);
        return std::string(out);
    }
    std::memset(v6.s6_addr + 8, 0, 8); // one /64 is one subscriber's network
    inet_ntop(AF_INET6, &v6, out, sizeof out);
    return std::string(out) + "/64";
}

ResourceReservation::ResourceReservation(ResourceReservation&& other) noexcept
    : manager_(other.manager_), resource_(other.resource_), amount_(other.amount_),
      entries_(other.entries_) {
    other.manager_ = nullptr;
}

ResourceReservation& ResourceReservation::operator=(ResourceReservation&& other) noexcept {
    if (this != &other) {
        release();
        manager_ = other.manager_;
        resource_ = other.resource_;
        amount_ = other.amount_;
        entries_ = other.entries_;
        other.manager_ = nullptr;
    }
    return *this;
}

void ResourceReservation::release() {
    if (manager_ != nullptr)
        manager_->release(*this);
}

void ResourceReservation::setAmount(std::uint64_t amount) {
    if (manager_ == nullptr || amount == amount_)
        return;
    const std::size_t r = static_cast<std::size_t>(resource_);
    for (Entry* entry : entries_)
        if (entry != nullptr)
            entry->second[r] = entry->second[r] - amount_ + amount;
    amount_ = amount;
}

ResourceManager::ResourceManager(const ResourceLimits& limits) {
    setLimits(limits);
}

ResourceManager::~ResourceManager() = default;

void ResourceManager::setLimits(const ResourceLimits& limits) {
    limits_ = limits;
    table_ = {};
    connectionTotal_ = {};
    auto set = [this](ResourceScope scope, Resource resource, int value) {
        table_[index(scope)][index(resource)] = atLeastOne(value);
    };
    using S = ResourceScope;
    using R = Resource;
    set(S::System, R::PendingHandshakes, limits.systemPendingHandshakes);
    set(S::System, R::InboundConnections, limits.systemInboundConnections);
    set(S::System, R::OutboundConnections, limits.systemOutboundConnections);
    set(S::System, R::InboundStreams, limits.systemInboundStreams);
    set(S::System, R::OutboundStreams, limits.systemOutboundStreams);
    set(S::SourceIp, R::PendingHandshakes, limits.ipPendingHandshakes);
    set(S::SourceIp, R::InboundConnections, limits.ipInboundConnections);
    connectionTotal_[index(S::Peer)] = atLeastOne(limits.peerConnections);
    set(S::Peer, R::InboundStreams, limits.peerInboundStreams);
    set(S::Peer, R::OutboundStreams, limits.peerOutboundStreams);
    set(S::Connection, R::InboundStreams, limits.connectionInboundStreams);
    set(S::Protocol, R::InboundStreams, limits.protocolInboundStreams);
    set(S::System, R::BytesBuffered, limits.systemBufferedBytes);
    set(S::Peer, R::BytesBuffered, limits.peerBufferedBytes);
    set(S::Connection, R::BytesBuffered, limits.connectionBufferedBytes);
    set(S::Stream, R::BytesBuffered, limits.streamBufferedBytes);
}

std::optional<std::uint32_t> ResourceManager::limit(ResourceScope scope, Resource resource) const {
    if (isConnection(resource) && connectionTotal_[index(scope)])
        return connectionTotal_[index(scope)];
    return table_[index(scope)][index(resource)];
}

ResourceManager::Keys ResourceManager::keysOf(const ResourceScopes& scopes) const {
    Keys keys;
    keys[index(ResourceScope::System)] = std::string();
    if (!scopes.ip.empty())
        keys[index(ResourceScope::SourceIp)] = std::string(scopes.ip);
    if (scopes.peer != nullptr) {
        const Bytes& peer = scopes.peer->bytes();
        std::string key(reinterpret_cast<const char*>(peer.data()), peer.size());
        if (!scopes.protocol.empty()) {
            std::string protocol = key;
            protocol += '\n';
            protocol += scopes.protocol;
            keys[index(ResourceScope::Protocol)] = std::move(protocol);
        }
        keys[index(ResourceScope::Peer)] = std::move(key);
    }
    if (scopes.connection != 0)
        keys[index(ResourceScope::Connection)] =
            std::string(reinterpret_cast<const char*>(&scopes.connection), sizeof(std::uint64_t));
    return keys;
}

bool ResourceManager::fits(ResourceScope scope, const Entry::second_type* use, Resource resource,
                           const ResourceReservation* replaced, const Entry* entry) const {
    auto count = [&](Resource r) -> std::uint64_t {
        if (use == nullptr)
            return 0;
        std::uint64_t n = (*use)[index(r)];
        // What the converted reservation holds here is given back in the same step.
        if (replaced != nullptr && entry != nullptr && replaced->resource_ == r &&
            replaced->entries_[index(scope)] == entry)
            --n;
        return n;
    };
    if (const auto max = table_[index(scope)][index(resource)]; max && count(resource) >= *max)
        return false;
    if (const auto total = connectionTotal_[index(scope)]; total && isConnection(resource))
        return count(Resource::InboundConnections) + count(Resource::OutboundConnections) < *total;
    return true;
}

std::optional<ResourceScope> ResourceManager::firstOver(const Keys& keys, Resource resource,
                                                        const ResourceReservation* replaced) const {
    for (std::size_t s = 0; s < resourceScopeCount; ++s) {
        if (!keys[s])
            continue;
        const auto scope = static_cast<ResourceScope>(s);
        auto it = maps_[s].find(*keys[s]);
        const Entry* entry = it == maps_[s].end() ? nullptr : &*it;
        if (!fits(scope, entry ? &entry->second : nullptr, resource, replaced, entry))
            return scope;
    }
    return std::nullopt;
}

void ResourceManager::refuse(ResourceScope scope, Resource resource, const ResourceScopes& scopes,
                             ResourceRefusal* refusal) {
    ++refused_[index(scope)][index(resource)];
    if (refusal == nullptr)
        return;
    refusal->scope = scope;
    refusal->resource = resource;
    refusal->limit = limit(scope, resource).value_or(0);
    switch (scope) {
    case ResourceScope::System:
        refusal->key.clear();
        break;
    case ResourceScope::SourceIp:
        refusal->key = std::string(scopes.ip);
        break;
    case ResourceScope::Peer:
        refusal->key = scopes.peer->toBase58();
        break;
    case ResourceScope::Connection:
        refusal->key = "connection " + std::to_string(scopes.connection);
        break;
    case ResourceScope::Protocol:
        refusal->key = scopes.peer->toBase58() + " " + std::string(scopes.protocol);
        break;
    case ResourceScope::Stream:
        refusal->key = "stream " + std::to_string(scopes.stream) + " of connection " +
                       std::to_string(scopes.connection);
        break;
    }
}

void ResourceManager::take(ResourceReservation& reservation, const Keys& keys, Resource resource) {
    reservation.manager_ = this;
    reservation.resource_ = resource;
    reservation.amount_ = 1;
    for (std::size_t s = 0; s < resourceScopeCount; ++s) {
        reservation.entries_[s] = nullptr;
        if (!keys[s])
            continue;
        // Map nodes stay where they are when the map rehashes: the pointer is stable.
        Entry& entry = *maps_[s].try_emplace(*keys[s]).first;
        ++entry.second[index(resource)];
        ++entry.second[holdersSlot];
        reservation.entries_[s] = &entry;
    }
}

void ResourceManager::release(ResourceReservation& reservation) {
    for (std::size_t s = 0; s < resourceScopeCount; ++s) {
        Entry* entry = reservation.entries_[s];
        if (entry == nullptr)
            continue;
        entry->second[index(reservation.resource_)] -= reservation.amount_;
        if (--entry->second[holdersSlot] == 0)
            maps_[s].erase(entry->first);
        reservation.entries_[s] = nullptr;
    }
    reservation.manager_ = nullptr;
}

ResourceReservation ResourceManager::reserve(Resource resource, const ResourceScopes& scopes,
                                             ResourceRefusal* refusal) {
    const Keys keys = keysOf(scopes);
    if (const std::optional<ResourceScope> over = firstOver(keys, resource, nullptr)) {
        refuse(*over, resource, scopes, refusal);
        return {};
    }
    ResourceReservation reservation;
    take(reservation, keys, resource);
    return reservation;
}

bool ResourceManager::convert(ResourceReservation& reservation, Resource resource,
                              const ResourceScopes& scopes, ResourceRefusal* refusal) {
    const Keys keys = keysOf(scopes);
    const ResourceReservation* replaced = reservation.manager_ == this ? &reservation : nullptr;
    if (const std::optional<ResourceScope> over = firstOver(keys, resource, replaced)) {
        refuse(*over, resource, scopes, refusal);
        return false;
    }
    // Take the new before giving back the old: entries both use are never erased between.
    ResourceReservation converted;
    take(converted, keys, resource);
    reservation = std::move(converted);
    return true;
}

ResourceReservation ResourceManager::account(Resource resource, const ResourceScopes& scopes) {
    ResourceReservation reservation;
    take(reservation, keysOf(scopes), resource);
    reservation.setAmount(0);
    return reservation;
}

bool ResourceManager::allows(Resource resource, const ResourceScopes& scopes, std::uint64_t more,
                             ResourceRefusal* refusal) {
    const Keys keys = keysOf(scopes);
    for (std::size_t s = 0; s < resourceScopeCount; ++s) {
        const std::optional<std::uint32_t> max = table_[s][index(resource)];
        if (!keys[s] || !max)
            continue;
        const auto scope = static_cast<ResourceScope>(s);
        if (use(scope, *keys[s], resource) + more > *max) {
            refuse(scope, resource, scopes, refusal);
            return false;
        }
    }
    return true;
}

void ResourceManager::countRefusal(ResourceScope scope, Resource resource,
                                   const ResourceScopes& scopes, ResourceRefusal* refusal) {
    refuse(scope, resource, scopes, refusal);
}

std::uint64_t ResourceManager::use(ResourceScope scope, const std::string& key,
                                   Resource resource) const {
    const Map& map = maps_[index(scope)];
    auto it = map.find(key);
    return it == map.end() ? 0 : it->second[index(resource)];
}

std::uint64_t ResourceManager::systemUse(Resource resource) const {
    return use(ResourceScope::System, std::string(), resource);
}

std::uint64_t ResourceManager::ipUse(std::string_view ipKey, Resource resource) const {
    return use(ResourceScope::SourceIp, std::string(ipKey), resource);
}

std::uint64_t ResourceManager::peerUse(const PeerId& peer, Resource resource) const {
    return use(ResourceScope::Peer, *keysOf({{}, &peer, 0, {}})[index(ResourceScope::Peer)],
               resource);
}

std::uint64_t ResourceManager::connectionUse(std::uint64_t connection, Resource resource) const {
    return use(ResourceScope::Connection,
               *keysOf({{}, nullptr, connection, {}})[index(ResourceScope::Connection)], resource);
}

std::uint64_t ResourceManager::protocolUse(const PeerId& peer, std::string_view protocol,
                                           Resource resource) const {
    return use(ResourceScope::Protocol,
               *keysOf({{}, &peer, 0, protocol})[index(ResourceScope::Protocol)], resource);
}

std::uint64_t ResourceManager::refused(ResourceScope scope, Resource resource) const {
    return refused_[index(scope)][index(resource)];
}

std::size_t ResourceManager::entryCount(ResourceScope scope) const {
    return maps_[index(scope)].size();
}

} // namespace peerscope
