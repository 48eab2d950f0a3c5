// Runs blocking work (store calls, slow CPU) on the worker pool and resumes the awaiting
// coroutine on its own I/O executor. `co_await post(pool)` would not move the work; co_spawn
// onto the pool's executor does.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>
#include <utility>

namespace coldtrack::http {

namespace detail {
// A named coroutine that owns `f` in its frame (lambda coroutines would only hold a pointer to
// their closure, which dies before they run).
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> invoke(F f) {
  co_return f();
}
}  // namespace detail

template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> on_pool(boost::asio::thread_pool& pool, F f) {
  auto task = detail::invoke(std::move(f));
  co_return co_await boost::asio::co_spawn(pool.get_executor(), std::move(task),
                                           boost::asio::use_awaitable);
}

}  // namespace coldtrack::http
