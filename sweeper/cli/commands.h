// The gdsweep commands, one file each; main.cc dispatches on the first word.
// Each takes the arguments after the command word and returns an exit code.
#pragma once

#include <string>
#include <vector>

namespace gdsweep::cli {

using Args = std::vector<std::string>;

int RunCommand(const Args& args);
int StudiesCommand(const Args& args);
int TrialsCommand(const Args& args);
int BestCommand(const Args& args);
int AskCommand(const Args& args);
int TellCommand(const Args& args);
int ShouldPruneCommand(const Args& args);
int RenderCommand(const Args& args);
int SyncCommand(const Args& args);
int ReportCommand(const Args& args);
int DashboardCommand(const Args& args);
int ConvertCommand(const Args& args);
int LogsCommand(const Args& args);
int EnqueueCommand(const Args& args);
int DeleteCommand(const Args& args);
int RenameCommand(const Args& args);
int CopyCommand(const Args& args);
int ExportCommand(const Args& args);

}  // namespace gdsweep::cli
