# Runs the interop server that ships with the grpc gem (gRPC C-core; Debian's
# ruby-grpc package has it at src/ruby/pb/test/server.rb), unchanged, with
# the same arguments: --port PORT [--use_tls true].
#
# server.rb binds the port it is given but never says which, so a test could
# only guess a free port. This prints the bound port, letting the test pass
# --port 0 and read where the server listens.
require 'grpc'

# Prints the port once add_http2_port has bound it.
module PrintBoundPort
  def add_http2_port(host, creds)
    port = super
    $stdout.puts("ruby interop server listening on 127.0.0.1:#{port}")
    $stdout.flush
    port
  end
end
GRPC::RpcServer.prepend(PrintBoundPort)

load File.join(Gem::Specification.find_by_name('grpc').gem_dir, 'src/ruby/pb/test/server.rb')
