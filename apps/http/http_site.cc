// SPDX-License-Identifier: MIT
// HttpSite: path decoding and confinement to the document root. Two independent guards: the
// decoded path may hold no ".." segment (refused with 400 before the file system is touched),
// and the real path of whatever is opened must lie inside the root (symbolic links included).
// Opening is synchronous; a teaching server on one thread accepts that cost.
#include "apps/http/http_site.hh"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <ctime>
#include <system_error>

#include <fmt/format.h>

#include "stack/base/log.hh"

namespace tapstack {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool istarts_with(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (lower(s[i]) != prefix[i]) return false;
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// What a failed realpath()/open() means to the client.
int status_for_errno(int err) {
    switch (err) {
    case EACCES:
    case EPERM: return 403;
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG: return 404;
    default: return 500;
    }
}

// realpath(3) with its malloc'd result owned by a std::string; empty on failure (errno set).
std::string real_path(const std::string& path) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (!resolved) return {};
    std::string out{resolved};
    std::free(resolved);
    return out;
}

// The flags of every file we open. O_NONBLOCK: opening a FIFO someone left in the root must not
// hang the server.
constexpr int open_flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

// openat2(2) with RESOLVE_BENEATH (Linux 5.6): the kernel resolves `path` + `suffix` below `dir`
// and fails with EXDEV if any step (a "..", an absolute symbolic link, a link that leaves) would
// go above it. One system call instead of realpath()'s walk; -1 and errno on failure (ENOSYS:
// the kernel is too old). No allocation: the name is put together on the stack.
int open_beneath(int dir, std::string_view path, std::string_view suffix = {}) {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    std::array<char, PATH_MAX> name;
    if (path.size() + suffix.size() + 2 > name.size()) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char* end = std::copy(path.begin(), path.end(), name.data());
    end = std::copy(suffix.begin(), suffix.end(), end);
    if (end == name.data()) *end++ = '.';
    *end = '\0';
    open_how how{};
    how.flags = open_flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, dir, name.data(), &how, sizeof how));
}

// The last path component, for the Content-Type (".../" is a directory: its index.html).
std::string_view file_name_of(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// RFC 9112 §3.2.2: a server MUST accept the absolute-form ("http://host/path"); its authority
// is not ours to check, so only the path is kept. Other forms are returned as they are.
std::string_view strip_absolute_form(std::string_view t) {
    for (std::string_view scheme : {std::string_view{"http://"}, std::string_view{"https://"}}) {
        if (istarts_with(t, scheme)) {
            t.remove_prefix(scheme.size());
            size_t slash = t.find('/');
            return slash == std::string_view::npos ? std::string_view{"/"} : t.substr(slash);
        }
    }
    return t;
}

// Appends the percent-decoded `raw` to `path`; why it is refused, or nullopt when it is fine.
std::optional<std::string_view> percent_decode(std::string_view raw, std::string& path) {
    path.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            int hi = i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(raw[i + 2]) : -1;
            if (lo < 0) return "bad percent-encoding";
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return "control character or NUL in path";
        // Windows separators mean nothing here, so a client sending one is probing.
        if (c == '\\') return "backslash in path";
        path.push_back(c);
    }
    return std::nullopt;
}

// Checked after decoding, so "%2e%2e" and "%2e%2e%2f" are caught too. A ".." segment is refused
// even when it would stay inside the root: legitimate clients remove dot-segments themselves
// (RFC 3986 §5.2.4), and refusing is simpler to trust than normalizing.
bool has_dot_dot_segment(std::string_view rest) {
    while (!rest.empty()) {
        size_t slash = rest.find('/');
        if (rest.substr(0, slash) == "..") return true;
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return false;
}

}  // namespace

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

void FileDescriptor::reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

DecodedTarget decode_target(std::string_view target) {
    DecodedTarget d;
    auto reject = [&d](std::string_view why) {
        d.status = 400;
        d.why = why;
        return std::move(d);
    };
    std::string_view t = strip_absolute_form(target);
    if (t.empty() || t.front() != '/') return reject("not an origin-form path");

    size_t end = t.find_first_of("?#");
    d.raw_path = t.substr(0, end);
    if (end != std::string_view::npos && t[end] == '?') {
        d.query = t.substr(end + 1);
        d.query = d.query.substr(0, d.query.find('#'));
    }
    if (auto why = percent_decode(d.raw_path, d.path)) return reject(*why);
    if (has_dot_dot_segment(d.path)) return reject("'..' segment in path");
    return d;
}

std::string_view content_type_for(std::string_view file_name) {
    size_t slash = file_name.rfind('/');
    std::string_view base = slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
    size_t dot = base.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
    std::string ext;
    for (char c : base.substr(dot + 1)) ext.push_back(lower(c));

    struct Entry {
        std::string_view extension, type;
    };
    static constexpr std::array<Entry, 15> types{{
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},  // RFC 9239
        {"json", "application/json"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"svg", "image/svg+xml"},
        {"ico", "image/x-icon"},
        {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},
        {"bin", "application/octet-stream"},
    }};
    for (const Entry& e : types) {
        if (e.extension == ext) return e.type;
    }
    return "application/octet-stream";
}

std::string http_date(int64_t unix_seconds) {
    // Names spelled out rather than strftime("%a"), which would follow the process locale.
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);  // pure arithmetic on the value given: no clock is read
    return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", days[tm.tm_wday % 7], tm.tm_mday,
                       months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

HttpSite::HttpSite(HttpConfig config) : config_(std::move(config)) {
    if (config_.root.empty()) return;
    root_ = real_path(config_.root);
    if (root_.empty()) throw std::system_error(errno, std::generic_category(), config_.root);
    struct stat st {};
    if (::stat(root_.c_str(), &st) != 0) throw std::system_error(errno, std::generic_category(), root_);
    if (!S_ISDIR(st.st_mode)) throw std::system_error(ENOTDIR, std::generic_category(), config_.root);
    root_fd_ = FileDescriptor{::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
    if (!root_fd_.valid()) throw std::system_error(errno, std::generic_category(), root_);
}

bool HttpSite::inside_root(std::string_view real) const {
    if (root_ == "/") return true;
    if (real.substr(0, root_.size()) != root_) return false;
    return real.size() == root_.size() || real[root_.size()] == '/';
}

Resource HttpSite::open(std::string_view path) const {
    Resource r;
    if (!has_root()) {
        if (path == "/" || path == "/index.html") {
            r.status = 200;
            r.body = config_.builtin_page;
            r.size = config_.builtin_page.size();
            r.content_type = builtin_page_type;
        }
        return r;
    }
    bool asked_for_directory = !path.empty() && path.back() == '/';
    // The kernel resolves the path inside the root in one call. What it refuses to resolve
    // beneath the root (EXDEV: an absolute symbolic link, or one that leaves the root) and a kernel
    // without openat2 (ENOSYS) take the user-space route below, which serves a link whose target
    // is inside the root and refuses the rest, as before.
    // A path ending in '/' names a directory's index.html: open that at once.
    int fd = open_beneath(root_fd_.get(), path, asked_for_directory ? "index.html" : "");
    if (fd >= 0) {
        Resource found = resource_for(FileDescriptor{fd}, asked_for_directory ? "index.html" : file_name_of(path),
                                      asked_for_directory);
        if (found.status != -1) return found;
    } else if (errno != EXDEV && errno != ENOSYS) {
        r.status = status_for_errno(errno);
        return r;
    }
    std::string candidate = root_ == "/" ? std::string{path} : root_ + std::string{path};
    return open_real_path(candidate, asked_for_directory, true);
}

namespace {

// An opened file that is not a directory: a regular one is served, anything else is a 404.
Resource file_resource(FileDescriptor file, const struct stat& st, std::string_view name) {
    Resource r;
    if (!S_ISREG(st.st_mode)) return r;  // devices, sockets, FIFOs
    r.status = 200;
    r.file = std::move(file);
    r.size = static_cast<uint64_t>(st.st_size);
    r.content_type = content_type_for(name);
    return r;
}

}  // namespace

Resource HttpSite::resource_for(FileDescriptor file, std::string_view name, bool is_index) const {
    Resource r;
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) {
        r.status = 500;
        return r;
    }
    if (S_ISDIR(st.st_mode)) {
        // No directory listings. A directory asked for without its trailing slash is redirected
        // to it when it has an index.html (relative links in the index resolve against the URL,
        // so it must end in '/'); an index.html that is itself a directory is a 404.
        if (is_index) return r;
        int fd = open_beneath(file.get(), "index.html");
        if (fd < 0) {
            r.status = errno == EXDEV || errno == ENOSYS ? -1 : status_for_errno(errno);  // -1: the long way
            return r;
        }
        FileDescriptor index{fd};
        if (::fstat(index.get(), &st) == 0 && S_ISREG(st.st_mode)) r.status = 301;
        return r;
    }
    return file_resource(std::move(file), st, name);
}

Resource HttpSite::open_real_path(const std::string& candidate, bool asked_for_directory, bool allow_index) const {
    Resource r;
    std::string real = real_path(candidate);
    if (real.empty()) {
        r.status = status_for_errno(errno);
        return r;
    }
    if (!inside_root(real)) {
        TS_LOG(Debug, "http: {} resolves to {}, outside the root", candidate, real);
        return r;  // 404
    }
    // O_NOFOLLOW: the last component was just resolved, so a symlink here means it was swapped in
    // since.
    int fd = ::open(real.c_str(), open_flags | O_NOFOLLOW);
    if (fd < 0) {
        r.status = status_for_errno(errno);
        return r;
    }
    FileDescriptor file{fd};
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) {
        r.status = 500;
        return r;
    }
    if (S_ISDIR(st.st_mode)) {
        // No directory listings: a directory means its index.html, or nothing.
        if (!allow_index) return r;  // index.html is itself a directory: 404
        Resource index = open_real_path(real + "/index.html", false, false);
        if (index.status == 200 && !asked_for_directory) {
            // Relative links in the index resolve against the URL, so it must end in '/'.
            Resource redirect;
            redirect.status = 301;
            return redirect;
        }
        return index;
    }
    return file_resource(std::move(file), st, real);
}

void HttpSite::update_date(Instant now) {
    if (!config_.wall_clock_offset) return;
    int64_t second = (now + *config_.wall_clock_offset).us() / 1'000'000;
    if (second == date_second_) return;
    date_second_ = second;
    date_ = http_date(second);
}

}  // namespace tapstack
