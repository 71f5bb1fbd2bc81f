package e2etest

import (
	"testing"

	"github.com/influencegen/infrastructure/internal/apimodel"
	"github.com/influencegen/infrastructure/internal/iam"
)

// TestAPIModel: every value every resource of the real stacks sends to its
// create call is one AWS's API model (botocore) accepts — pattern, length,
// enum — and follows the rules the services document beyond their models
// (apimodel.Rules); every resource type maps to the operation its
// provider create function calls.
func TestAPIModel(t *testing.T) {
	m, err := iam.Load(realStacks())
	if err != nil {
		t.Fatal(err)
	}
	dir, err := apimodel.FindData()
	if err != nil {
		t.Fatal(err)
	}
	res, err := apimodel.Check(&apimodel.Models{Dir: dir}, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		t.Error(f)
	}
	checked := 0
	for _, n := range res.Checked {
		checked += n
	}
	if checked < 1000 {
		t.Errorf("only %d arguments checked: the mappings lost their rows", checked)
	}
}
