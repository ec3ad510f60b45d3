package app

import "os"

// lockIdentity is the lock file beside the database's real path alone on
// Windows, where hard links to a database are rare.
func lockIdentity(string) (*os.File, error) { return nil, nil }
