// SPDX-License-Identifier: MIT
// HttpSite: what all sessions of one server share. It maps a decoded request path to something
// to send (a file in the document root, or the built-in page) and never lets a path escape the
// root. Also here: request-target decoding, Content-Type by extension and the Date header text.
// Used by HttpSession; opens files but knows nothing of sockets or of the protocol's state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "apps/http/http_config.hh"
#include "stack/base/time.hh"

namespace tapstack {

// Owns one file descriptor; closes it when destroyed.
class FileDescriptor {
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() { reset(); }
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    FileDescriptor& operator=(FileDescriptor&& other) noexcept;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    void reset();

private:
    int fd_ = -1;
};

// A request-target reduced to the path to look up. `status` is 0 when it is usable, else 400.
struct DecodedTarget {
    int status = 0;
    std::string_view why;       // for the debug log when status != 0
    std::string path;           // percent-decoded, starts with '/', no ".." segment, no NUL, no '\'
    std::string_view raw_path;  // as sent, without query (views the request-target)
    std::string_view query;     // after '?', or empty
};
DecodedTarget decode_target(std::string_view target);

// By file name extension, case-insensitive; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view file_name);

// IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(int64_t unix_seconds);

// What a path maps to. 200: `file` (size bytes) or, when `file` is not valid, `body`.
// 301: a directory asked for without its trailing slash. 403, 404, 500: nothing to send.
struct Resource {
    int status = 404;
    FileDescriptor file;
    uint64_t size = 0;
    std::string_view body;  // the built-in page (owned by the HttpSite's config)
    std::string_view content_type;
};

class HttpSite {
public:
    // Resolves config.root once, with realpath(3). Throws std::system_error when it is set but is
    // not a directory we can reach: a setup failure, reported before the server starts.
    explicit HttpSite(HttpConfig config);

    const HttpConfig& config() const { return config_; }
    bool has_root() const { return !root_.empty(); }
    const std::string& root() const { return root_; }  // canonical, no trailing '/' unless "/"

    // `path` comes from decode_target(). A file whose real path (symbolic links resolved) is
    // outside the root is reported as 404, the same as a missing one, so nothing is disclosed.
    // The Content-Type follows the name asked for (a directory's: index.html's).
    Resource open(std::string_view path) const;

    // The Date header value for new responses; empty means no Date header. Set by the server from
    // the time it is given (config.wall_clock_offset), and recomputed once a second at most.
    void update_date(Instant now);
    const std::string& date() const { return date_; }

private:
    // What an opened file is to the client; `is_index`: it was opened as a directory's
    // index.html. Status -1: a directory's index must be looked up the long way (open_real_path).
    Resource resource_for(FileDescriptor file, std::string_view name, bool is_index) const;
    Resource open_real_path(const std::string& candidate, bool asked_for_directory, bool allow_index) const;
    bool inside_root(std::string_view real_path) const;

    HttpConfig config_;
    std::string root_;
    FileDescriptor root_fd_;  // O_PATH: where open() resolves paths beneath
    std::string date_;
    int64_t date_second_ = -1;
};

// The page served when no document root is configured.
inline constexpr std::string_view builtin_page_type = "text/plain; charset=utf-8";

}  // namespace tapstack
