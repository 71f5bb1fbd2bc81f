package observability

// Registers -update, so `go test ./... -update` works in every package.
import _ "github.com/influencegen/infrastructure/internal/golden"
