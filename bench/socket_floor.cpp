#include "socket_floor.h"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace peerscope::bench {

namespace {

double seconds(const timeval& t) {
    return double(t.tv_sec) + double(t.tv_usec) / 1e6;
}

// The far side: echo whatever arrives, until the parent goes away. Only system calls here
// (this runs in a forked child of a Qt process).
[[noreturn]] void echoForever(const std::vector<int>& sockets) {
    const int epoll = epoll_create1(0);
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u32 = static_cast<std::uint32_t>(i);
        epoll_ctl(epoll, EPOLL_CTL_ADD, sockets[i], &event);
    }
    char buffer[4096];
    epoll_event events[256];
    for (;;) {
        const int ready = epoll_wait(epoll, events, 256, -1);
        for (int k = 0; k < ready; ++k) {
            const int fd = sockets[events[k].data.u32];
            const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
            if (got <= 0)
                _exit(0);
            ::send(fd, buffer, static_cast<std::size_t>(got), MSG_NOSIGNAL);
        }
    }
}

} // namespace

SocketFloor measureSocketFloor(int connections, int durationSeconds, std::size_t messageSize) {
    SocketFloor floor;
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener, 128) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
        return floor;
    std::vector<int> near, far;
    const int one = 1;
    for (int i = 0; i < connections; ++i) {
        const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (client < 0 || ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            break;
        const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (server < 0) {
            ::close(client);
            break;
        }
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        near.push_back(client);
        far.push_back(server);
    }
    ::close(listener);
    const pid_t child = ::fork();
    if (child == 0) {
        for (int fd : near)
            ::close(fd);
        echoForever(far);
    }
    for (int fd : far)
        ::close(fd);
    if (child > 0) {
        const int epoll = epoll_create1(EPOLL_CLOEXEC);
        for (std::size_t i = 0; i < near.size(); ++i) {
            epoll_event event{};
            event.events = EPOLLIN;
            event.data.u32 = static_cast<std::uint32_t>(i);
            epoll_ctl(epoll, EPOLL_CTL_ADD, near[i], &event);
        }
        const std::vector<char> message(messageSize, 'p');
        char buffer[4096];
        epoll_event events[256];
        using Clock = std::chrono::steady_clock;
        rusage before{};
        getrusage(RUSAGE_SELF, &before);
        const Clock::time_point start = Clock::now();
        const Clock::time_point end = start + std::chrono::seconds(durationSeconds);
        Clock::time_point nextBatch = start;
        std::size_t batch = 0;
        long echoes = 0;
        while (Clock::now() < end) {
            if (Clock::now() >= nextBatch) {
                for (std::size_t i = batch; i < near.size(); i += 10)
                    ::send(near[i], message.data(), message.size(), MSG_NOSIGNAL);
                batch = (batch + 1) % 10;
                nextBatch += std::chrono::milliseconds(100);
            }
            const auto wait =
                std::chrono::duration_cast<std::chrono::milliseconds>(nextBatch - Clock::now());
            const int ready = epoll_wait(epoll, events, 256, std::max<int>(0, int(wait.count())));
            for (int k = 0; k < ready; ++k)
                if (::recv(near[events[k].data.u32], buffer, sizeof buffer, 0) > 0)
                    ++echoes;
        }
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        rusage after{};
        getrusage(RUSAGE_SELF, &after);
        const double user = seconds(after.ru_utime) - seconds(before.ru_utime);
        const double kernel = seconds(after.ru_stime) - seconds(before.ru_stime);
        floor.cpuPercent = (user + kernel) / elapsed * 100.0;
        floor.kernelPercent = kernel / elapsed * 100.0;
        floor.roundTripsPerSecond = double(echoes) / elapsed;
        ::close(epoll);
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
    }
    for (int fd : near)
        ::close(fd);
    return floor;
}

} // namespace peerscope::bench
